import type { Delivery, MessageQueue } from "../ports/message-queue.ts";
import type { Fabric } from "./fabric.ts";
import { sweepStranded } from "./sweeper.ts";

export interface DrainOptions {
  /** Messages per receive (SQS's batch size is 10). */
  batchSize?: number;
  visibilityTimeoutMs?: number;
  /** Wait for messages this long per receive; 0 returns as soon as the queue is empty. */
  waitMs?: number;
  /** Delay before a failed message is visible again. */
  retryDelayMs?: number;
}

/**
 * Receives one batch and applies it: acknowledged when applied or already applied, released for
 * redelivery otherwise (the queue dead-letters it after its max receives). Returns how many
 * messages were delivered.
 */
export async function processOneBatch(
  fabric: Fabric,
  queue: MessageQueue,
  options: DrainOptions = {},
): Promise<number> {
  const deliveries = await queue.receive({
    maxMessages: options.batchSize ?? 10,
    visibilityTimeoutMs: options.visibilityTimeoutMs ?? 30_000,
    waitMs: options.waitMs ?? 0,
  });
  if (deliveries.length === 0) return 0;
  const verdicts = await fabric.applyBatch(
    deliveries.map((d) => ({ ...d.message, receiveCount: d.receiveCount })),
  );
  const done: Delivery[] = [];
  const retry: Delivery[] = [];
  const skipped: Delivery[] = [];
  for (const d of deliveries) {
    const verdict = verdicts.get(d.message.id) ?? "retry";
    // Held and parked messages are settled by the turn's commit (kept in the actor's waiting list,
    // or on their way to the dead-letter queue through its outbox): they leave the queue.
    const settled = verdict === "done" || verdict === "held" || verdict === "parked";
    (settled ? done : verdict === "skipped" ? skipped : retry).push(d);
  }
  if (done.length > 0) await queue.ack(done);
  if (retry.length > 0) await queue.retry(retry, options.retryDelayMs ?? 0);
  if (skipped.length > 0) await queue.release(skipped);
  return deliveries.length;
}

/** Applies queued messages until the queue has nothing visible (bounded by `maxBatches`). */
export async function drainQueue(
  fabric: Fabric,
  queue: MessageQueue,
  options: DrainOptions & { maxBatches?: number } = {},
): Promise<number> {
  let total = 0;
  for (let i = 0; i < (options.maxBatches ?? 10_000); i++) {
    const n = await processOneBatch(fabric, queue, { ...options, waitMs: 0 });
    if (n === 0) break;
    total += n;
  }
  return total;
}

export interface QueueWorkerOptions extends DrainOptions {
  onError?: (error: unknown) => void;
  /** How often to look for stranded outboxes and waiting lists (default 250 ms; 0 turns it off). */
  sweepEveryMs?: number;
  /** Only what committed at least this long ago (default 500 ms): its own turn may still be relaying. */
  sweepOlderThanMs?: number;
}

/**
 * A long-running consumer (the dev server's queue worker): applies queued batches and, between
 * them, sweeps what crashes left behind (see sweeper.ts). stop() waits for the batch in hand.
 */
export class QueueWorker {
  #stopping = false;
  #running: Promise<void> | undefined;
  #lastSweep = 0;

  constructor(
    private readonly fabric: Fabric,
    private readonly queue: MessageQueue,
    private readonly options: QueueWorkerOptions = {},
  ) {}

  start(): void {
    if (this.#running) return;
    this.#stopping = false;
    this.#running = this.#loop();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#running;
    this.#running = undefined;
  }

  async #loop(): Promise<void> {
    while (!this.#stopping) {
      try {
        await processOneBatch(this.fabric, this.queue, { waitMs: 100, ...this.options });
        await this.#sweepWhenDue();
      } catch (error) {
        this.options.onError?.(error);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async #sweepWhenDue(): Promise<void> {
    const every = this.options.sweepEveryMs ?? 250;
    const now = Date.now();
    if (every <= 0 || now - this.#lastSweep < every) return;
    this.#lastSweep = now;
    await sweepStranded(this.fabric, {
      olderThanMs: this.options.sweepOlderThanMs ?? 500,
      onError: (_actorId, error) => this.options.onError?.(error),
    });
  }
}
