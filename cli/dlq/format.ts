import type { Output } from "../output.ts";
import { type Letter, letterView } from "./letters.ts";
import type { RedriveOutcome, RedriveReport } from "./redrive.ts";

const REASON_WIDTH = 72;

/** `durable dlq list`: one row per letter, full ids (they are what show and redrive take). */
export function letterTable(letters: readonly Letter[], out: Output): string {
  const header = ["MESSAGE ID", "DLQ", "ACTOR", "HANDLER", "FIRST FAILED", "RECEIVES", "REASON"];
  const rows = letters.map((l) => [
    l.id,
    l.dlq,
    l.actorId ?? "-",
    l.handler ?? (l.signalType ? `signal ${l.signalType}` : "-"),
    new Date(l.at).toISOString(),
    l.receiveCount === null ? "-" : String(l.receiveCount),
    oneLine(l.reason, REASON_WIDTH),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [out.c.dim(line(header)), ...rows.map(line)].join("\n");
}

export function countLine(letters: readonly Letter[]): string {
  const actors = letters.filter((l) => l.dlq === "actors").length;
  const signals = letters.length - actors;
  return `${letters.length} dead letter(s): ${actors} in the actor DLQ, ${signals} in the signal DLQ`;
}

/** `durable dlq show`: what failed, why, what to do, then the body. */
export function letterDetails(letter: Letter, out: Output): string {
  const view = letterView(letter);
  const redrive =
    letter.path.kind === "none"
      ? `cannot be redriven: ${letter.path.why}`
      : `durable dlq redrive ${letter.id}${letter.path.kind === "actor" ? " (--unpark also unparks its actor if this message parked it)" : ""}`;
  const lines = [
    `${out.c.bold(letter.id)} in the ${letter.dlq === "actors" ? "actor" : "signal"} DLQ`,
    `actor:        ${letter.actorId ?? "-"}${letter.actorType ? ` (${letter.actorType})` : ""}`,
    `handler:      ${letter.handler ?? "-"}${letter.kind ? ` (${letter.kind})` : ""}`,
    ...(letter.signalType ? [`signal:       ${letter.signalType}`] : []),
    `first failed: ${view.firstFailedAt}${letter.receiveCount === null ? "" : `, after ${letter.receiveCount} deliveries`}`,
    `error:        ${out.c.red(letter.reason)}`,
    `redrive:      ${redrive}`,
    "body:",
    JSON.stringify(letter.body, null, 2),
  ];
  return lines.join("\n");
}

/** `durable dlq redrive`: a line per actor (or signal), what is left to do indented below it. */
export function redriveLines(report: RedriveReport, out: Output): string[] {
  const lines: string[] = [];
  for (const o of report.outcomes) {
    const mark = o.error ? out.c.red("✖") : o.next ? out.c.yellow("!") : out.c.green("✔");
    lines.push(`${mark} ${subject(o)}: ${summary(o)}`);
    if (o.next) lines.push(`  ${o.next}`);
    if (o.olderLeft.length > 0) {
      lines.push(
        `  older dead letters of ${o.actorId} stay in the DLQ and will run after these: ${o.olderLeft.join(", ")}`,
      );
    }
    if (o.notRemoved.length > 0) {
      lines.push(
        `  still in the DLQ although redriven (removing failed): ${o.notRemoved.join(", ")}; redriving them again applies nothing twice`,
      );
    }
  }
  for (const s of report.skipped) lines.push(`${out.c.dim("-")} ${s.messageId}: ${s.why}`);
  return lines;
}

function subject(o: RedriveOutcome): string {
  if (o.kind === "event") return `signal ${o.messageIds.join(", ")} (${o.signalType ?? "?"})`;
  if (o.kind === "route") return `signal route ${o.messageIds.join(", ")} (${o.signalType ?? "?"})`;
  return o.actorId ?? "?";
}

function summary(o: RedriveOutcome): string {
  if (o.error) {
    return `not redriven: ${o.error.message}${o.error.hint ? ` (${o.error.hint})` : ""}; it stays in the DLQ`;
  }
  if (o.kind === "event") return `delivered to the function again, routed to ${o.routed ?? 0} actor(s)`;
  const r = o.result;
  if (!r) return "nothing done";
  const parts: string[] = [];
  if (o.kind === "route") parts.push(`routed again to ${r.actorId}`);
  else if (r.redriven > 0) parts.push(`${r.redriven} put back ahead of its later messages`);
  if (r.alreadyApplied > 0) parts.push(`${r.alreadyApplied} already applied (left out)`);
  if (o.unparked) parts.push("unparked");
  parts.push(`${r.drained} ran in order`);
  return parts.join(", ");
}

function oneLine(text: string, width: number): string {
  const first = text.split("\n")[0] ?? "";
  return first.length > width ? `${first.slice(0, width - 1)}…` : first;
}
