import type { MessageQueue } from "../ports/message-queue.ts";
import type { ActorMessage } from "../ports/messages.ts";
import type { Signal, SignalBus } from "../ports/signal-bus.ts";
import { isValidActorId } from "./limits.ts";
import type { ActorRegistry } from "./registry.ts";

/**
 * The messages a signal becomes: one per actor type that subscribes to its type, addressed to the
 * actor its route picks. Ids derive from the signal id, so routing the same signal twice is a no-op.
 */
export function routeSignal(registry: ActorRegistry, signal: Signal): ActorMessage[] {
  const messages: ActorMessage[] = [];
  for (const def of registry.definitions) {
    const route = def.options.signals?.[signal.type];
    if (!route) continue;
    const actorId = route.to(signal.detail);
    if (!isValidActorId(actorId)) continue;
    messages.push({
      id: `${signal.id}>${def.name}`,
      actorId,
      actorType: def.name,
      handler: route.handler,
      input: signal.detail,
      kind: "signal",
      sentAt: signal.at,
    });
  }
  return messages;
}

/** A bus that also delivers each signal to its subscribers' queues: the local stand-in for EventBridge rules. */
export function routingSignalBus(
  inner: SignalBus,
  queue: MessageQueue,
  registry: () => ActorRegistry,
): SignalBus {
  return {
    async publish(signals) {
      await inner.publish(signals);
      const routed = signals.flatMap((s) => routeSignal(registry(), s));
      if (routed.length > 0) await queue.send(routed);
    },
  };
}
