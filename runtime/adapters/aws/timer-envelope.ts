import { randomUUID } from "node:crypto";
import { timerMessage } from "../../core/timer-message.ts";
import type { ScheduledTimer } from "../../ports/timer-scheduler.ts";
import { sha256 } from "./sqs-codec.ts";

/** Schedule names: 1-64 of [0-9a-zA-Z-_.]. */
const NAME_UNSAFE = /[^0-9A-Za-z_.-]/g;

/**
 * One schedule per (actor, timer id), never per name: a late relay of a replaced timer then creates
 * its own (stale) schedule instead of overwriting the one that replaced it, and a cancel can delete
 * exactly its id without reading the schedule first. A readable actor prefix for the console, a
 * 128-bit hash for uniqueness within the 64-character limit.
 */
export function scheduleName(actorId: string, timerId: string): string {
  const hash = sha256(`${actorId}\n${timerId}`).slice(0, 32);
  return `${actorId.replace(NAME_UNSAFE, "_").slice(0, 31)}-${hash}`;
}

/** `at()` takes whole seconds in UTC; rounding up means a schedule never fires before its time. */
export function atExpression(at: number): string {
  return `at(${new Date(Math.ceil(at / 1000) * 1000).toISOString().slice(0, 19)})`;
}

/**
 * The SQS body of a fired timer. The nonce makes two schedules of one timer differ, so the FIFO
 * queue's content-based dedup (Scheduler cannot set a deduplication id) drops only true repeats of
 * one delivery, never a timer set again after an early fire.
 */
export function timerBody(timer: ScheduledTimer): string {
  return JSON.stringify({ ...timerMessage(timer), nonce: randomUUID() });
}

/** What waits in the standard delay queue: the timer itself, so the relay can build the message when due. */
export interface DelayedTimer {
  durableTimer: ScheduledTimer;
}

export function delayedTimerBody(timer: ScheduledTimer): string {
  const envelope: DelayedTimer = { durableTimer: timer };
  return JSON.stringify(envelope);
}

export function parseDelayedTimer(body: string | undefined): ScheduledTimer | undefined {
  if (!body) return undefined;
  try {
    const timer = (JSON.parse(body) as Partial<DelayedTimer>).durableTimer;
    if (!timer || typeof timer.actorId !== "string" || typeof timer.at !== "number") return undefined;
    return timer;
  } catch {
    return undefined;
  }
}

/** A deduplication id unique to one relay of a timer (see timerBody for why repeats must not collapse). */
export function relayDeduplicationId(timer: ScheduledTimer, salt: string): string {
  return sha256(`${timerMessage(timer).id}\n${salt}`);
}
