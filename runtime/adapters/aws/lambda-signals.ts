import { DurableError } from "../../core/errors.ts";
import type { Fabric } from "../../core/fabric.ts";
import { routeSignal } from "../../core/signal-routing.ts";
import type { Signal } from "../../ports/signal-bus.ts";
import type { AwsPorts } from "./create-aws-ports.ts";
import { type EventBridgeEventLike, type SignalDeliveryResult, signalFromEvent } from "./lambda-events.ts";
import type { LambdaMetrics } from "./lambda-metrics.ts";

/**
 * A signal from the EventBridge rule becomes one message per subscribing actor type, sent into
 * that actor's FIFO group. Message ids derive from the signal id, so a repeated delivery (EventBridge
 * is at-least-once) is dropped by the queue's deduplication or, later, by the turn's marker.
 */
export async function deliverSignal(
  event: EventBridgeEventLike,
  fabric: Fabric,
  ports: AwsPorts,
  metrics: LambdaMetrics,
  log: (fields: Record<string, unknown>) => void,
): Promise<SignalDeliveryResult> {
  let signal: Signal;
  try {
    signal = signalFromEvent(event);
  } catch (error) {
    if (!(error instanceof DurableError)) throw error;
    // Retrying cannot make a malformed event valid: it is reported and dropped.
    log({
      level: "error",
      message: "dropping an event that is not a valid signal",
      eventId: event.id,
      code: error.code,
      error: error.message,
    });
    return { signalId: event.id, routed: 0 };
  }
  const { messages, failures } = routeSignal(fabric.registry, signal);
  // A failed send throws: Lambda retries the async event, and the ids make the retry safe.
  if (messages.length > 0) await ports.queue.send(messages);
  if (failures.length > 0) {
    // A route that throws would throw on every retry: it is dead-lettered at once, where operators
    // see it, and the other subscribers are not held back by it.
    for (const failure of failures) {
      log({ level: "error", message: "signal route failed", signalId: signal.id, reason: failure.reason });
    }
    await ports.queue.deadLetter(failures);
    metrics.count("signal", "SignalRoutesFailed", failures.length);
  }
  metrics.count("signal", "SignalsRouted", messages.length);
  log({
    level: "info",
    message: "signal routed",
    signalId: signal.id,
    type: signal.type,
    to: messages.map((m) => m.actorId),
  });
  return { signalId: signal.id, routed: messages.length };
}
