import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  statSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { TurnLogEntry } from "../runtime/core/turn.ts";
import { abortableSleep } from "./targets.ts";

/**
 * A message that failed, next to the turn lines: the runtime's turn line says only that nothing
 * changed, so without this a failing queued message was invisible in `durable dev` and the log.
 */
export interface FailureLogEntry {
  type: "failed" | "parked";
  actorId: string;
  /** Absent when the call named none and failed before the actor's default handler was known. */
  handler?: string | undefined;
  /** Absent for a sync call that named no id (its id was never shown to anyone). */
  messageId?: string | undefined;
  mode: "sync" | "async";
  /** For a queued message: the delivery that failed, of how many the queue allows. */
  delivery?: number | undefined;
  maxDeliveries?: number | undefined;
  /** The error, when the process that saw the failure knows it (a queue retry does not say why). */
  error?: { code: string; message: string } | undefined;
}

/** A failed call's log entry; `error` is anything thrown, described by its code and message. */
export function callFailure(
  call: {
    actorId: string;
    handler?: string | undefined;
    messageId?: string | undefined;
    mode: "sync" | "async";
  },
  error: unknown,
): FailureLogEntry {
  const e = (error ?? {}) as { code?: unknown; message?: unknown };
  return {
    type: "failed",
    actorId: call.actorId,
    handler: call.handler,
    messageId: call.messageId,
    mode: call.mode,
    error: {
      code: typeof e.code === "string" ? e.code : "INTERNAL",
      message: typeof e.message === "string" ? e.message : String(error),
    },
  };
}

/** One line of .durable/turns.log. */
export type LogEntry = TurnLogEntry | FailureLogEntry;

/** Rotated past this size so a long-running dev loop never fills the disk. */
const MAX_BYTES = 10 * 1024 * 1024;

export function turnLogPath(projectRoot: string): string {
  return join(projectRoot, ".durable", "turns.log");
}

/**
 * Appends one JSON line per turn, from every process that runs turns on the local fabric
 * (`durable dev`, `durable invoke`), so `durable logs` sees them all. Appends of one short line
 * are atomic on POSIX, so concurrent writers never interleave.
 */
export function turnLogWriter(projectRoot: string): (entry: LogEntry) => void {
  const path = turnLogPath(projectRoot);
  mkdirSync(dirname(path), { recursive: true });
  // The size is checked every so many lines, not per turn: a stat per turn showed up in profiles.
  let sinceCheck = Number.POSITIVE_INFINITY;
  return (entry) => {
    try {
      if (++sinceCheck > 1000) {
        sinceCheck = 0;
        if (existsSync(path) && statSync(path).size > MAX_BYTES) renameSync(path, `${path}.1`);
      }
      appendFileSync(path, `${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
    } catch {
      // The log is a convenience; a turn never fails because it could not be written.
    }
  };
}

/** Calls `onEntry` for each turn line appended after now, until `signal` aborts. */
export async function followTurnLog(
  projectRoot: string,
  onEntry: (entry: LogEntry & { time: string }) => void,
  signal: AbortSignal,
): Promise<void> {
  const path = turnLogPath(projectRoot);
  let offset = existsSync(path) ? statSync(path).size : 0;
  let pending = "";
  while (!signal.aborted) {
    const size = existsSync(path) ? statSync(path).size : 0;
    if (size < offset) offset = 0; // rotated
    if (size > offset) {
      const fd = openSync(path, "r");
      const buffer = Buffer.alloc(size - offset);
      readSync(fd, buffer, 0, buffer.length, offset);
      closeSync(fd);
      offset = size;
      pending += buffer.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        try {
          onEntry(JSON.parse(line) as LogEntry & { time: string });
        } catch {
          // A torn line from a rotation is skipped.
        }
      }
    } else await abortableSleep(100, signal);
  }
}
