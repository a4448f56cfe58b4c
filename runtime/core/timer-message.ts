import type { ActorMessage } from "../ports/messages.ts";
import type { ScheduledTimer } from "../ports/timer-scheduler.ts";

/** The handler name a fired timer is delivered to; the turn routes it to the actor's `alarm`. */
export const ALARM_HANDLER = "$alarm";

/**
 * The message a fired timer becomes. Its id depends only on the timer id, so every backend's
 * duplicate fires collapse onto one processed marker.
 */
export function timerMessage(timer: ScheduledTimer): ActorMessage {
  return {
    id: `timer:${timer.actorId}:${timer.timerId}`,
    actorId: timer.actorId,
    actorType: timer.actorType,
    handler: ALARM_HANDLER,
    kind: "timer",
    timer: { name: timer.name, timerId: timer.timerId },
    sentAt: timer.at,
  };
}
