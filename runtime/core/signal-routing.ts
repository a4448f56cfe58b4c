import type { DeadLetterEntry, MessageQueue } from "../ports/message-queue.ts";
import type { ActorMessage } from "../ports/messages.ts";
import type { Signal, SignalBus } from "../ports/signal-bus.ts";
import { isValidActorId } from "./limits.ts";
import type { ActorRegistry } from "./registry.ts";

/** What routing a signal gave: a message per subscriber, and the subscribers whose route threw. */
export interface RoutedSignal {
  messages: ActorMessage[];
  /** Routes that failed (their `to` threw or named no valid actor), bound for the dead-letter queue. */
  failures: DeadLetterEntry[];
}

/**
 * The messages a signal becomes: one per actor type that subscribes to its type, addressed to the
 * actor its route picks. Ids derive from the signal id, so routing the same signal twice is a no-op.
 * A route that throws affects only its own subscriber: the others are routed, and the failure is
 * returned as a dead letter (its actor id is the subscriber's type, since no actor was picked).
 */
export function routeSignal(registry: ActorRegistry, signal: Signal): RoutedSignal {
  const routed: RoutedSignal = { messages: [], failures: [] };
  for (const def of registry.definitions) {
    const route = def.options.signals?.[signal.type];
    if (!route) continue;
    const message: ActorMessage = {
      id: `${signal.id}>${def.name}`,
      actorId: def.name,
      actorType: def.name,
      handler: route.handler,
      input: signal.detail,
      kind: "signal",
      sentAt: signal.at,
    };
    let actorId: unknown;
    try {
      actorId = route.to(signal.detail);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      routed.failures.push({
        id: `${message.id}:dead-letter`,
        message,
        reason: `the ${def.name} route of signal ${signal.type} threw: ${why}`,
        receiveCount: 1,
      });
      continue;
    }
    if (!isValidActorId(actorId)) {
      routed.failures.push({
        id: `${message.id}:dead-letter`,
        message,
        reason: `the ${def.name} route of signal ${signal.type} picked no valid actor id (${JSON.stringify(actorId) ?? "undefined"})`,
        receiveCount: 1,
      });
      continue;
    }
    routed.messages.push({ ...message, actorId });
  }
  return routed;
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
      const routed = signals.map((s) => routeSignal(registry(), s));
      const messages = routed.flatMap((r) => r.messages);
      const failures = routed.flatMap((r) => r.failures);
      if (messages.length > 0) await queue.send(messages);
      if (failures.length > 0) await queue.deadLetter(failures);
    },
  };
}
