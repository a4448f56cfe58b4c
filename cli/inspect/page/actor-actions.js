// Invoking a handler and unparking an actor from the page; on a stage each asks to confirm first.
import { ApiError, actorPath, el, post, showError } from "./api.js";

const $ = (id) => document.getElementById(id);

/** The native modal dialog: focus starts on Cancel, Escape cancels, the answer resolves the promise. */
function confirmDialog(text, detail) {
  const dialog = $("confirm");
  $("confirm-text").textContent = text;
  $("confirm-detail").textContent = detail;
  return new Promise((resolve) => {
    const finish = (answer) => {
      $("confirm-ok").removeEventListener("click", ok);
      $("confirm-cancel").removeEventListener("click", cancel);
      dialog.removeEventListener("cancel", cancel);
      dialog.close();
      resolve(answer);
    };
    const ok = () => finish(true);
    const cancel = (event) => {
      event.preventDefault();
      finish(false);
    };
    $("confirm-ok").addEventListener("click", ok);
    $("confirm-cancel").addEventListener("click", cancel);
    dialog.addEventListener("cancel", cancel);
    dialog.showModal();
    $("confirm-cancel").focus();
  });
}

export class ActorActions {
  constructor({ kind, target, types, onChanged }) {
    this.stage = kind === "stage";
    this.target = target;
    this.types = new Map(types.map((t) => [t.name, t]));
    this.onChanged = onChanged;
    $("invoke").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.invoke();
    });
    $("unpark").addEventListener("click", () => void this.unpark());
  }

  /** Offers the handlers of the shown actor's type. */
  show(record) {
    if (this.record?.actorId === record.actorId && this.record?.actorType === record.actorType) {
      this.record = record;
      return;
    }
    this.record = record;
    const type = this.types.get(record.actorType);
    const select = $("invoke-handler");
    select.replaceChildren(...(type?.handlers ?? []).map((h) => el("option", { value: h }, h)));
    if (type) select.value = type.defaultHandler;
  }

  async invoke() {
    const actorId = this.record.actorId;
    const handler = $("invoke-handler").value;
    const mode = $("invoke-mode").value;
    const text = $("invoke-input").value.trim();
    let input;
    try {
      input = text === "" ? undefined : JSON.parse(text);
    } catch (error) {
      $("invoke-result").textContent = `The input is not JSON: ${error.message}`;
      $("invoke-input").focus();
      return;
    }
    const body = { handler, mode, input, messageId: crypto.randomUUID() };
    if (this.stage) {
      const yes = await confirmDialog(
        `Invoke ${handler} on ${actorId} (${mode}) on ${this.target}?`,
        text === "" ? "no input" : JSON.stringify(input, null, 2),
      );
      if (!yes) {
        $("invoke-result").textContent = "Not invoked.";
        return;
      }
      body.confirm = actorId;
    }
    $("invoke-result").textContent = "Invoking…";
    try {
      const result = await post(actorPath(actorId, "invoke"), body);
      $("invoke-result").textContent =
        result.mode === "async"
          ? `Queued as message ${result.messageId}.`
          : `Result (version ${result.version}, message ${result.messageId}${result.duplicate ? ", already applied" : ""}):\n${JSON.stringify(result.result, null, 2)}`;
      showError(null);
      this.onChanged();
    } catch (error) {
      $("invoke-result").textContent = failure(error);
    }
  }

  async unpark() {
    const actorId = this.record.actorId;
    if (this.stage) {
      const yes = await confirmDialog(
        `Unpark ${actorId} on ${this.target}?`,
        "Its waiting messages then run once each, in order. The message that parked it stays dead-lettered.",
      );
      if (!yes) return;
    }
    $("actor-action-result").textContent = "Unparking…";
    try {
      const r = await post(actorPath(actorId, "unpark"), this.stage ? { confirm: actorId } : {});
      $("actor-action-result").textContent =
        `Unparked ${actorId}: ${r.waiting} message(s) were waiting, ${r.drained} ran in order` +
        (r.parkedAgain ? `; parked again: ${r.parkedAgain.error.message}` : "") +
        (r.stillWaiting > 0 ? `; ${r.stillWaiting} still waiting` : "") +
        ".";
      this.onChanged();
    } catch (error) {
      $("actor-action-result").textContent = failure(error);
    }
  }
}

function failure(error) {
  if (error instanceof ApiError)
    return `Failed: ${error.code}: ${error.message}${error.hint ? ` (${error.hint})` : ""}`;
  return `Failed: ${error.message}`;
}
