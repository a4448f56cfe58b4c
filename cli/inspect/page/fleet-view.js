// The actor list: filters, pages by cursor (any fleet size), rows kept current as versions commit.
import { el, get, showError } from "./api.js";

const PAGE_SIZE = 50;
/** How often a stage's page is read again (a stage has no event stream to follow). */
const STAGE_POLL_MS = 10_000;

export class FleetView {
  constructor({ kind, live, types, onOpen }) {
    this.kind = kind;
    this.onOpen = onOpen;
    this.filters = { type: "", prefix: "", parked: false };
    /** Cursors of the pages before the current one, to go back; the current page's own cursor. */
    this.previous = [];
    this.cursor = undefined;
    this.next = null;
    this.body = document.querySelector("#fleet-table tbody");
    const select = document.getElementById("filter-type");
    for (const type of types) select.append(el("option", { value: type.name }, type.name));
    document.getElementById("filters").addEventListener("submit", (event) => {
      event.preventDefault();
      this.filters = {
        type: select.value,
        prefix: document.getElementById("filter-prefix").value.trim(),
        parked: document.getElementById("filter-parked").checked,
      };
      this.previous = [];
      void this.load(undefined);
    });
    document.getElementById("page-next").addEventListener("click", () => {
      this.previous.push(this.cursor);
      void this.load(this.next);
    });
    document.getElementById("page-prev").addEventListener("click", () => void this.load(this.previous.pop()));
    if (live === "events") this.follow();
    else setInterval(() => void this.load(this.cursor, { quiet: true }), STAGE_POLL_MS);
  }

  async load(cursor, { quiet = false } = {}) {
    try {
      const page = await get("/api/actors", {
        type: this.filters.type,
        prefix: this.filters.prefix,
        parked: this.filters.parked,
        limit: PAGE_SIZE,
        cursor,
      });
      this.cursor = cursor;
      this.next = page.next;
      this.render(page.actors);
      if (!quiet) showError(null);
    } catch (error) {
      showError(error);
    }
  }

  render(actors) {
    this.body.replaceChildren(...actors.map((a) => this.row(a)));
    document.getElementById("fleet-empty").hidden = actors.length > 0;
    document.getElementById("page-prev").disabled = this.previous.length === 0;
    document.getElementById("page-next").disabled = this.next === null;
    const first = this.previous.length * PAGE_SIZE + 1;
    document.getElementById("page-status").textContent =
      actors.length === 0
        ? ""
        : `actors ${first}–${first + actors.length - 1}${this.next ? ", more after" : ""}`;
  }

  row(a) {
    const link = el("a", { href: `#actor=${encodeURIComponent(a.actorId)}` }, a.actorId);
    link.addEventListener("click", (event) => {
      event.preventDefault();
      this.onOpen(a.actorId);
    });
    return el(
      "tr",
      { "data-actor": a.actorId, class: a.parked ? "is-parked" : undefined },
      el("th", { scope: "row" }, link),
      el("td", {}, a.actorType ?? "—"),
      el("td", { class: "num", "data-field": "version" }, a.version),
      el("td", { "data-field": "updatedAt" }, el("time", { datetime: a.updatedAt }, a.updatedAt)),
      el("td", {}, a.parked ? el("strong", { class: "badge" }, "PARKED") : "—"),
      el("td", {}, a.nextTimerAt ? el("time", { datetime: a.nextTimerAt }, a.nextTimerAt) : "—"),
      el("td", { class: "num" }, a.waiting),
    );
  }

  /** Every committed version of a listed actor updates its row in place (the local fabric's events). */
  follow() {
    const events = new EventSource("/events");
    events.addEventListener("version", (event) => {
      const v = JSON.parse(event.data);
      const row = [...this.body.rows].find((r) => r.dataset.actor === v.actorId);
      if (!row) return;
      row.querySelector('[data-field="version"]').textContent = String(v.version);
      row.querySelector('[data-field="updatedAt"]').replaceChildren(el("time", { datetime: v.at }, v.at));
    });
  }
}
