import type { TurnLogEntry } from "../runtime/core/turn.ts";
import type { Output } from "./output.ts";

/**
 * A turn as `durable dev` and `durable logs` print it: one line, then one per message that failed
 * in it (with its error) and, when the turn parked the actor, what that means and what to run.
 */
export function formatTurn(e: TurnLogEntry & { time?: string }, c: Output["c"]): string {
  const time = (e.time ?? new Date().toISOString()).slice(11, 23);
  const failed = e.outcome === "failed" || (e.outcome === "unchanged" && (e.failures?.length ?? 0) > 0);
  const outcome =
    e.outcome === "committed"
      ? c.green("committed")
      : failed
        ? c.red(`failed${e.error ? ` ${e.error}` : ""}`)
        : c.dim("unchanged");
  const wait = e.leaseWaitMs > 0 ? ` (lease wait ${e.leaseWaitMs}ms)` : "";
  const lines = [
    `${c.dim(time)} ${e.actorId} ${e.handlers.join(",")} ${outcome} v${e.version} epoch ${e.epoch} ${e.durationMs}ms${wait}`,
  ];
  const indent = " ".repeat(time.length + 1);
  if (e.errorMessage) lines.push(`${indent}${c.red("✖")} ${e.errorMessage}`);
  for (const f of e.failures ?? []) {
    lines.push(`${indent}${c.red("✖")} ${f.handler} (message ${f.messageId}) failed: ${f.code} ${f.message}`);
  }
  if (e.parked) {
    lines.push(
      `${indent}${c.red("parked")} ${e.actorId} on message ${e.parked.messageId} (${e.parked.handler}) after its last permitted delivery: ` +
        `${e.parked.code} ${e.parked.message}. Later messages wait; fix the cause, then run ${c.bold(`durable state unpark ${e.actorId}`)}`,
    );
  }
  if (e.held) lines.push(`${indent}${e.held} message(s) wait behind the park, in order`);
  if (e.drained) lines.push(`${indent}${e.drained} waiting message(s) ran, in order`);
  return lines.join("\n");
}
