import type { Delivery, MessageQueue } from "../../runtime/ports/message-queue.ts";

/**
 * The queue `durable dev` consumes, reporting every delivery the fabric hands back as failed:
 * the queue worker reports nothing itself, and a message failing five times used to scroll past
 * as five "unchanged" turns. `onFailed` runs after the queue has recorded the retry (or moved the
 * message to the dead-letter queue, on its last delivery).
 */
export function reportFailedDeliveries(
  queue: MessageQueue,
  onFailed: (delivery: Delivery, last: boolean) => void,
): MessageQueue {
  return {
    get maxReceives() {
      return queue.maxReceives;
    },
    send: (messages) => queue.send(messages),
    receive: (options) => queue.receive(options),
    ack: (deliveries) => queue.ack(deliveries),
    async retry(deliveries, delayMs) {
      await queue.retry(deliveries, delayMs);
      for (const d of deliveries) onFailed(d, d.receiveCount >= queue.maxReceives);
    },
    release: (deliveries) => queue.release(deliveries),
    deadLetters: (actorId) => queue.deadLetters(actorId),
  };
}
