import type { ParkedRecord } from "../ports/messages.ts";
import { errorFromJSON } from "./errors.ts";
import type { JsonValue } from "./json.ts";
import type { MessageOutcome } from "./turn-types.ts";

/**
 * What became of each message of a batch: done (applied, or already applied: acknowledge it),
 * held (kept in its actor's waiting list: acknowledge it), parked (it parked its actor and is on
 * its way to the dead-letter queue: acknowledge it), retry (it failed: redeliver it) or skipped
 * (not attempted, behind an earlier failure of its actor: release it, uncounted where the queue can).
 */
export type BatchVerdict = "done" | "held" | "parked" | "retry" | "skipped";

/** What `redrive` did. */
export interface RedriveResult {
  actorId: string;
  /** Put back at the head of the waiting list. */
  redriven: number;
  /** Left out: their message id had already been applied. */
  alreadyApplied: number;
  /** Waiting messages (the redriven ones first) that ran right away because the actor was not parked. */
  drained: number;
  stillWaiting: number;
  /** The actor's park, if it is (still, or again) parked. */
  parked: ParkedRecord | null;
  version: number;
}

/** What `unpark` did. */
export interface UnparkResult {
  actorId: string;
  /** False when the actor was not parked (its waiting messages, if any, still ran). */
  wasParked: boolean;
  /** The message it had been parked on. */
  parkedOn: ParkedRecord | null;
  /** Messages that were waiting behind the park. */
  waiting: number;
  /** Of those, how many ran (applied, or dead-lettered by a new park). */
  drained: number;
  /** Still waiting: the actor parked again, or the drain was interrupted (the sweeper continues it). */
  stillWaiting: number;
  /** Set when a waiting message failed on its last attempt and parked the actor again. */
  parkedAgain: ParkedRecord | null;
  version: number;
}

export function verdictOf(outcome: MessageOutcome): BatchVerdict {
  switch (outcome.status) {
    case "applied":
    case "duplicate":
      return "done";
    case "held":
      return "held";
    case "skipped":
      return "skipped";
    case "failed":
      return outcome.parked ? "parked" : "retry";
  }
}

export function resultOf(outcome: MessageOutcome): JsonValue {
  if (outcome.status === "applied") return outcome.result;
  if (outcome.status === "duplicate") {
    if (outcome.error) throw errorFromJSON(outcome.error);
    return outcome.result ?? null;
  }
  throw new Error(`no result for message ${outcome.messageId} (${outcome.status})`);
}
