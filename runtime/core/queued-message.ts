import type { ActorMessage } from "../ports/messages.ts";
import { isValidActorId, LIMITS } from "./limits.ts";
import { ALARM_HANDLER } from "./timer-message.ts";

/** A queued body that no turn can run, and why (it goes to the dead-letter queue with the reason). */
export interface UnusableMessage {
  unusable: string;
}

/**
 * The actor message a queued body carries, keeping only what a sender may choose. A queue holds
 * messages the fabric sent (ctx.send, an async invoke, a fired timer, a routed signal), so `kind`
 * is one of those paths and must match the handler; `transient` (no processed marker) belongs to
 * synchronous calls only, and delivery facts (receive count, sequence) come from the queue, never
 * from the body.
 * @example queuedMessage(JSON.parse(body))
 */
export function queuedMessage(value: unknown): ActorMessage | UnusableMessage {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { unusable: "the body is not a JSON object" };
  }
  const m = value as Record<string, unknown>;
  if (typeof m.id !== "string" || m.id.length === 0 || m.id.length > LIMITS.messageIdLength) {
    return { unusable: `its id must be a string of 1-${LIMITS.messageIdLength} characters` };
  }
  if (!isValidActorId(m.actorId)) return { unusable: "its actorId is not a valid actor id" };
  if (typeof m.handler !== "string" || m.handler.length === 0) return { unusable: "it names no handler" };
  if (m.actorType !== undefined && typeof m.actorType !== "string") {
    return { unusable: "its actorType is not a string" };
  }
  const message: ActorMessage = { id: m.id, actorId: m.actorId, handler: m.handler, kind: "send" };
  if (typeof m.actorType === "string") message.actorType = m.actorType;
  if (m.input !== undefined) message.input = m.input as ActorMessage["input"];
  if (typeof m.sentAt === "number" && Number.isFinite(m.sentAt)) message.sentAt = m.sentAt;
  switch (m.kind) {
    case "send":
    case "signal":
      if (m.handler === ALARM_HANDLER)
        return { unusable: `only a timer may name the ${ALARM_HANDLER} handler` };
      message.kind = m.kind;
      return message;
    case "timer": {
      const timer = m.timer as { name?: unknown; timerId?: unknown } | undefined;
      if (
        m.handler !== ALARM_HANDLER ||
        typeof timer?.name !== "string" ||
        typeof timer.timerId !== "string"
      ) {
        return { unusable: `a timer must name the ${ALARM_HANDLER} handler and its timer` };
      }
      message.kind = "timer";
      message.timer = { name: timer.name, timerId: timer.timerId };
      return message;
    }
    case "call":
      return { unusable: "a synchronous call cannot arrive through a queue" };
    default:
      return { unusable: `unknown kind ${JSON.stringify(m.kind)}` };
  }
}

export function isUnusable(value: ActorMessage | UnusableMessage): value is UnusableMessage {
  return "unusable" in value;
}
