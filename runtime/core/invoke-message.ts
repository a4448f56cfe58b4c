import type { ActorMessage } from "../ports/messages.ts";
import { type InvokeRequest, newMessageId } from "./invoker.ts";
import { assertJson } from "./json.ts";
import { assertAsyncPayload, assertSyncPayload } from "./limits.ts";
import type { ActorRegistry } from "./registry.ts";

/**
 * Validates an invoke request against the project's actors and turns it into a message, before
 * anything is written or sent: id, type, handler, JSON input and the mode's payload limit.
 * A sync call without an id gets a transient one (nothing can redeliver it, so no marker is kept).
 */
export function invokeMessage(registry: ActorRegistry, request: InvokeRequest, now: number): ActorMessage {
  const def = registry.resolveType(request.actorId, request.actorType);
  const handler = registry.resolveHandler(def, request.handler);
  const input = request.input === undefined ? undefined : assertJson(request.input, "input");
  const async = request.mode === "async";
  if (async) assertAsyncPayload(input);
  else assertSyncPayload(input);
  return {
    id: request.messageId ?? newMessageId(),
    actorId: request.actorId,
    actorType: def.name,
    handler,
    input,
    kind: async ? "send" : "call",
    sentAt: now,
    transient: !async && request.messageId === undefined,
  };
}
