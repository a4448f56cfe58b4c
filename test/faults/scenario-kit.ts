import { randomUUID } from "node:crypto";
import { processOneBatch } from "../../runtime/core/queue-worker.ts";
import type { MessageQueue, ReceiveOptions } from "../../runtime/ports/message-queue.ts";
import type { Worker } from "./backends.ts";
import { sleep } from "./fault-injector.ts";

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A fresh actor id: scenarios on the aws backend share tables across the run. */
export function freshId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export interface SettleOptions {
  /** How long a crashed delivery stays invisible before it comes back. */
  visibilityTimeoutMs?: number;
  /** Give up (and let the assertions say what is missing) after this long. */
  timeoutMs?: number;
  /** Nothing delivered for this long, while nothing was in flight, means the queue is quiet. */
  quietMs?: number;
  /** Messages per receive (1 makes a turn per message: more seams for faults to hit). */
  batchSize?: number;
  /**
   * Messages left in the queue (Environment.queueDepth): when it reads 0 the queue is settled at
   * once, without waiting out `quietMs`.
   */
  depth?: () => Promise<number>;
  /** Sees every delivery as it is received (message id and receive count), before it is applied. */
  onReceived?: (deliveries: readonly Received[]) => void;
}

export interface Received {
  id: string;
  receiveCount: number;
}

/** The queue as the worker uses it, with its receives reported to `onReceived`. */
function observed(queue: MessageQueue, onReceived: SettleOptions["onReceived"]): MessageQueue {
  if (!onReceived) return queue;
  return new Proxy(queue, {
    get(target, property, receiver) {
      if (property !== "receive") return Reflect.get(target, property, receiver);
      return async (options: ReceiveOptions) => {
        const deliveries = await target.receive(options);
        onReceived(deliveries.map((d) => ({ id: d.message.id, receiveCount: d.receiveCount })));
        return deliveries;
      };
    },
  });
}

/**
 * Delivers until the queue stays empty: a batch that fails (an injected fault) is left for
 * redelivery after its visibility timeout, as a crashed consumer's would be. Stops when the
 * worker's process dies (`worker.life.dead`). Returns how many deliveries were made, failed ones
 * included.
 */
export async function settleQueue(worker: Worker, options: SettleOptions = {}): Promise<number> {
  const visibility = options.visibilityTimeoutMs ?? 1_000;
  const deadline = performance.now() + (options.timeoutMs ?? 30_000);
  const quietMs = options.quietMs ?? visibility + 300;
  let delivered = 0;
  let quietSince = performance.now();
  while (performance.now() < deadline && !worker.life.dead) {
    let n = 0;
    try {
      const lived = await worker.life.run(
        processOneBatch(worker.fabric, observed(worker.ports.queue, options.onReceived), {
          visibilityTimeoutMs: visibility,
          retryDelayMs: 0,
          batchSize: options.batchSize ?? 10,
        }),
      );
      // The worker's process died mid-batch: the caller brings another one.
      if (lived.crashed) return delivered + 1;
      n = lived.value;
    } catch {
      // A failure between apply and acknowledgement: the delivery reappears after its visibility.
      n = 1;
    }
    delivered += n;
    if (n > 0) {
      quietSince = performance.now();
      continue;
    }
    if (performance.now() - quietSince >= quietMs) return delivered;
    if (options.depth && (await options.depth()) === 0) return delivered;
    await sleep(50);
  }
  return delivered;
}

/** The slice of a Lambda context the entry reads. */
export function lambdaContext(remainingMs = 60_000): {
  getRemainingTimeInMillis(): number;
  awsRequestId: string;
} {
  const ends = Date.now() + remainingMs;
  return { getRemainingTimeInMillis: () => ends - Date.now(), awsRequestId: randomUUID() };
}
