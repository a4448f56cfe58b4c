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
export function turnLogWriter(projectRoot: string): (entry: TurnLogEntry) => void {
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
  onEntry: (entry: TurnLogEntry & { time: string }) => void,
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
          onEntry(JSON.parse(line) as TurnLogEntry & { time: string });
        } catch {
          // A torn line from a rotation is skipped.
        }
      }
    } else await abortableSleep(100, signal);
  }
}
