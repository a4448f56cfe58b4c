// One actor: its state as a tree, versions with a diff, timers, waiting and dead-lettered messages.
import { actorPath, announce, el, get, showError } from "./api.js";
import { diffList, jsonDiff } from "./json-diff.js";
import { jsonTree } from "./json-tree.js";

/** How often a stage's actor is read again (a stage has no event stream to follow). */
const STAGE_POLL_MS = 2000;
const KEPT = {
  history:
    "The local fabric keeps each actor's last 1,000 versions. Pick two to see what changed; new versions appear as they commit.",
  latest:
    "A stage's State table keeps only the latest version (each commit overwrites it; point-in-time recovery restores whole tables, not versions). Versions seen while this page is open are listed here.",
};

const $ = (id) => document.getElementById(id);

function table(headers, rows) {
  return el(
    "table",
    {},
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...rows.map((cells) => el("tr", {}, ...cells.map((c) => el("td", {}, c ?? "—"))))),
  );
}

const code = (value) => el("code", {}, JSON.stringify(value));
const time = (iso) => (iso ? el("time", { datetime: iso }, iso) : "—");

export class ActorView {
  constructor({ live, actions }) {
    this.live = live;
    this.actions = actions;
    this.versions = new Map();
    $("diff-from").addEventListener("change", () => this.renderDiff());
    $("diff-to").addEventListener("change", () => this.renderDiff());
    $("versions-older").addEventListener("click", () => void this.loadVersions(this.oldest()));
    $("letters-refresh").addEventListener("click", () => void this.loadLetters());
  }

  async open(actorId) {
    this.stop();
    this.actorId = actorId;
    this.versions = new Map();
    this.latest = 0;
    $("actor").hidden = false;
    $("actor-title").textContent = actorId;
    $("actor-action-result").textContent = "";
    $("invoke-result").textContent = "";
    await Promise.all([this.refresh(), this.loadVersions(), this.loadLetters()]);
    $("actor-title").focus();
    this.follow();
  }

  stop() {
    this.events?.close();
    clearInterval(this.timer);
    this.events = undefined;
  }

  async refresh() {
    if (!this.actorId) return;
    try {
      const detail = await get(actorPath(this.actorId));
      this.render(detail);
      return detail;
    } catch (error) {
      showError(error);
    }
  }

  render({ record, nextTimerAt, waiting }) {
    this.latest = Math.max(this.latest, record.version);
    $("actor-title").textContent = `${record.actorId} (${record.actorType ?? "unknown type"})`;
    $("actor-summary").textContent =
      `version ${record.version} · last active ${record.updatedAt} · next timer ${nextTimerAt ?? "none"} · ${record.waiting} waiting`;
    const parked = record.parked;
    $("actor-parked").hidden = !parked && record.waiting === 0;
    $("actor-parked-text").textContent = parked
      ? `PARKED since ${parked.at}: message ${parked.messageId} (${parked.handler}) failed its last delivery with ${parked.error.code}: ${parked.error.message}. ${record.waiting} message(s) wait behind it.`
      : `${record.waiting} message(s) are waiting to run.`;
    $("state-tree").replaceChildren(jsonTree(record.state, `state of ${record.actorId}`));
    const timers = Object.entries(record.timers);
    $("timers").replaceChildren(
      timers.length === 0
        ? el("p", { class: "note" }, "No pending timers.")
        : table(
            ["Name", "Fires at", "Timer id", "Data"],
            timers.map(([name, t]) => [
              name,
              time(t.at),
              t.timerId,
              t.data === undefined ? "—" : code(t.data),
            ]),
          ),
    );
    $("waiting").replaceChildren(
      waiting.messages.length === 0
        ? el("p", { class: "note" }, "No messages wait for this actor.")
        : el(
            "div",
            {},
            table(
              ["Position", "Message id", "Handler", "Kind", "Input", "Sent"],
              waiting.messages.map((m) => [
                m.position.replace(/^0+(?=\d)/, ""),
                m.messageId,
                m.handler,
                m.kind,
                code(m.input),
                time(m.sentAt),
              ]),
            ),
            waiting.complete ? null : el("p", { class: "note" }, "More messages wait behind these."),
          ),
    );
    this.actions.show(record);
  }

  async loadVersions(before) {
    try {
      const page = await get(actorPath(this.actorId, "versions"), { before });
      $("versions-kept").textContent = KEPT[page.kept] ?? "";
      for (const v of page.versions) this.versions.set(v.version, v);
      $("versions-older").hidden = !page.more;
      this.renderVersions();
    } catch (error) {
      showError(error);
    }
  }

  oldest() {
    return Math.min(...this.versions.keys());
  }

  renderVersions() {
    const numbers = [...this.versions.keys()].sort((a, b) => b - a);
    const option = (n) => el("option", { value: n }, `v${n} · ${this.versions.get(n).at}`);
    $("diff-to").replaceChildren(...numbers.map(option));
    $("diff-from").replaceChildren(...numbers.map(option));
    $("diff-to").value = String(numbers[0] ?? "");
    $("diff-from").value = String(numbers[1] ?? numbers[0] ?? "");
    this.renderDiff();
  }

  renderDiff() {
    const from = this.versions.get(Number($("diff-from").value));
    const to = this.versions.get(Number($("diff-to").value));
    if (!from || !to) {
      $("diff").replaceChildren(el("p", { class: "note" }, "No versions to compare yet."));
      return;
    }
    $("diff").replaceChildren(
      el("p", {}, `Changes from version ${from.version} to version ${to.version}:`),
      diffList(jsonDiff(from.state, to.state)),
    );
  }

  async loadLetters() {
    $("letters").replaceChildren(el("p", { class: "note" }, "Reading the dead-letter queue…"));
    try {
      const { letters } = await get(actorPath(this.actorId, "dead-letters"));
      $("letters").replaceChildren(
        letters.length === 0
          ? el("p", { class: "note" }, "No dead letters for this actor.")
          : table(
              ["Message id", "Handler", "First failed", "Receives", "Error"],
              letters.map((l) => [l.messageId, l.handler, time(l.firstFailedAt), l.receiveCount, l.reason]),
            ),
      );
    } catch (error) {
      $("letters").replaceChildren(
        el("p", { class: "error" }, `Could not read the dead letters: ${error.message}`),
      );
    }
  }

  /** A new version: into the list (with its state), the view redrawn, and said out loud. */
  arrived(version) {
    if (this.versions.has(version.version)) return;
    this.versions.set(version.version, version);
    this.renderVersions();
    announce(`${this.actorId}: version ${version.version} committed`);
  }

  follow() {
    const status = $("actor-live");
    if (this.live === "events") {
      status.textContent = "Live: connecting…";
      this.events = new EventSource(`/events?actor=${encodeURIComponent(this.actorId)}`);
      this.events.addEventListener("open", () => {
        status.textContent = "Live: new versions appear as they commit.";
      });
      this.events.addEventListener("error", () => {
        status.textContent = "Live: connection lost, reconnecting…";
      });
      this.events.addEventListener("version", (event) => {
        const v = JSON.parse(event.data);
        this.arrived({ version: v.version, at: v.at, state: v.state });
        void this.refresh();
      });
      return;
    }
    status.textContent = `Live: this stage is read again every ${STAGE_POLL_MS / 1000} s.`;
    this.timer = setInterval(async () => {
      const before = this.latest;
      const detail = await this.refresh();
      if (detail && detail.record.version > before) {
        const { record } = detail;
        this.arrived({ version: record.version, at: record.updatedAt, state: record.state });
      }
    }, STAGE_POLL_MS);
  }
}
