import type { TurnLogEntry } from "../runtime/core/turn.ts";
import type { Output } from "./output.ts";
import type { FailureLogEntry, LogEntry } from "./turn-log.ts";

/** One human line per log entry, as `durable dev` and `durable logs` print it. */
export function formatTurn(e: LogEntry & { time?: string }, c: Output["c"]): string {
  const time = c.dim((e.time ?? new Date().toISOString()).slice(11, 23));
  return `${time} ${e.type === "turn" ? formatTurnLine(e, c) : formatFailure(e, c)}`;
}

function formatTurnLine(e: TurnLogEntry, c: Output["c"]): string {
  const outcome =
    e.outcome === "committed"
      ? c.green("committed")
      : e.outcome === "failed"
        ? c.red(`failed ${e.error ?? ""}`)
        : c.dim("unchanged");
  const wait = e.leaseWaitMs > 0 ? ` (lease wait ${e.leaseWaitMs}ms)` : "";
  return `${e.actorId} ${e.handlers.join(",")} ${outcome} v${e.version} epoch ${e.epoch} ${e.durationMs}ms${wait}`;
}

function formatFailure(e: FailureLogEntry, c: Output["c"]): string {
  const error = e.error ? `: ${e.error.code} ${e.error.message}` : "";
  const message = e.messageId ? `message ${e.messageId}` : "a message";
  if (e.type === "parked") {
    return (
      `${e.actorId} ${c.red("parked")}: ${message} (${e.handler ?? "?"}) failed its last delivery${error}. ` +
      `Its later messages wait; fix the cause, then run ${c.bold(`durable state unpark ${e.actorId}`)}`
    );
  }
  const handler = e.handler ? ` ${e.handler}` : "";
  let delivery = "";
  if (e.delivery !== undefined) {
    const last = e.maxDeliveries !== undefined && e.delivery >= e.maxDeliveries;
    delivery = ` (delivery ${e.delivery} of ${e.maxDeliveries ?? "?"}, ${last ? "dead-lettered" : "will retry"})`;
  }
  return `${e.actorId}${handler} ${c.red("failed")}${delivery}${error}`;
}
