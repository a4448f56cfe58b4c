import type { TurnLogEntry } from "../runtime/core/turn.ts";
import type { Output } from "./output.ts";

/** One human line per turn, as `durable dev` and `durable logs` print it. */
export function formatTurn(e: TurnLogEntry & { time?: string }, c: Output["c"]): string {
  const time = (e.time ?? new Date().toISOString()).slice(11, 23);
  const outcome =
    e.outcome === "committed"
      ? c.green("committed")
      : e.outcome === "failed"
        ? c.red(`failed ${e.error ?? ""}`)
        : c.dim("unchanged");
  const wait = e.leaseWaitMs > 0 ? ` (lease wait ${e.leaseWaitMs}ms)` : "";
  return `${c.dim(time)} ${e.actorId} ${e.handlers.join(",")} ${outcome} v${e.version} epoch ${e.epoch} ${e.durationMs}ms${wait}`;
}
