import { PayloadTooLargeError } from "../../core/errors.ts";
import { formatBytes, utf8ByteLength } from "../../core/json.ts";
import { LIMITS } from "../../core/limits.ts";
import { isUnusable, queuedMessage } from "../../core/queued-message.ts";
import { padSequence, withoutDelivery } from "../../core/waiting.ts";
import type { Clock } from "../../ports/clock.ts";
import type {
  DeadLetter,
  DeadLetterEntry,
  Delivery,
  MessageQueue,
  ReceiveOptions,
} from "../../ports/message-queue.ts";
import type { ActorMessage } from "../../ports/messages.ts";
import { decode, RETENTION_MS } from "./codec.ts";
import type { LocalDb } from "./database.ts";

export interface LocalMessageQueueOptions {
  maxReceives?: number;
  /** Deliveries past maxReceives before the queue itself dead-letters a message (see LIMITS). */
  redriveSlackReceives?: number;
  /** How long a message id is remembered for deduplication (SQS's longest retention by default). */
  retentionMs?: number;
  /** How often a waiting receive looks again; other processes' sends have no notification. */
  pollMs?: number;
}

export interface QueueStats {
  queued: number;
  inFlight: number;
  deadLetters: number;
}

interface MessageRow {
  seq: number;
  actor_id: string;
  body: string;
  receive_count: number;
}

interface DeadLetterRow {
  body: string;
  receive_count: number;
  reason: string;
  at: number;
}

const PRUNE_EVERY = 128;

/**
 * Messages of an actor whose group is blocked (one of its messages is in flight or waiting out a
 * retry delay) are skipped; the rest come in global send order, so each actor's messages come in
 * its own order and one batch may hold several actors. A parked actor's messages are delivered
 * too, as on SQS: its turn holds them in its waiting list.
 */
const DELIVERABLE = `
  WITH blocked AS (SELECT actor_id FROM messages WHERE visible_at > $now)
  SELECT seq, actor_id, body, receive_count FROM messages
  WHERE visible_at <= $now AND actor_id NOT IN blocked
  ORDER BY seq LIMIT $limit`;

/** The inbox of every actor as SQS FIFO would keep it: a message group per actor id. */
export class LocalMessageQueue implements MessageQueue {
  readonly maxReceives: number;
  private readonly redriveAfter: number;
  private readonly retentionMs: number;
  private readonly pollMs: number;
  private sends = 0;

  constructor(
    private readonly db: LocalDb,
    private readonly clock: Clock,
    options: LocalMessageQueueOptions = {},
  ) {
    this.maxReceives = options.maxReceives ?? 5;
    this.redriveAfter = this.maxReceives + (options.redriveSlackReceives ?? LIMITS.redriveSlackReceives);
    this.retentionMs = options.retentionMs ?? RETENTION_MS;
    this.pollMs = options.pollMs ?? 20;
  }

  async send(messages: readonly ActorMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const now = this.clock.now();
    // Every body is checked before the first insert, so an oversized message rejects the whole batch.
    const encoded = messages.map((message) => ({ message, body: encodeBody(message, now) }));
    this.db.write(() => this.insert(encoded, now));
  }

  /**
   * Enqueues inside the caller's write transaction, so a fired timer leaves the timers table and
   * enters the queue atomically. The messages are visible at once, whatever time the caller fired for.
   */
  enqueueWithin(messages: readonly ActorMessage[]): void {
    const now = this.clock.now();
    this.insert(
      messages.map((message) => ({ message, body: encodeBody(message, now) })),
      now,
    );
  }

  async receive(options: ReceiveOptions): Promise<Delivery[]> {
    const waitMs = options.waitMs ?? 0;
    // Waited time is counted from the sleeps themselves, so a manual clock cannot make this spin forever.
    for (let waited = 0; ; ) {
      if (this.hasDeliverable()) {
        const batch = this.db.write(() => this.take(options));
        if (batch.length > 0) return batch;
      }
      if (waited >= waitMs) return [];
      const step = Math.min(this.pollMs, waitMs - waited);
      await this.clock.sleep(step);
      waited += step;
    }
  }

  async ack(deliveries: readonly Delivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    this.db.write(() => {
      const remove = this.db.sqlite.query("DELETE FROM messages WHERE seq = $seq AND receipt = $receipt");
      for (const delivery of deliveries)
        remove.run({ seq: receiptSeq(delivery.receipt), receipt: delivery.receipt });
    });
  }

  async release(deliveries: readonly Delivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    const now = this.clock.now();
    this.db.write(() => {
      // The receipt check keeps a stale handle from touching a newer delivery of the same message.
      const release = this.db.sqlite.query(
        `UPDATE messages SET visible_at = $now, receive_count = MAX(receive_count - 1, 0), receipt = NULL
         WHERE seq = $seq AND receipt = $receipt`,
      );
      for (const delivery of deliveries)
        release.run({ seq: receiptSeq(delivery.receipt), receipt: delivery.receipt, now });
    });
  }

  async retry(deliveries: readonly Delivery[], delayMs: number): Promise<void> {
    if (deliveries.length === 0) return;
    const visibleAt = this.clock.now() + Math.max(0, delayMs);
    this.db.write(() => {
      // The receipt check keeps a stale handle (the message was redelivered since) from moving the newer delivery.
      const delay = this.db.sqlite.query(
        "UPDATE messages SET visible_at = $visibleAt, receipt = NULL WHERE seq = $seq AND receipt = $receipt",
      );
      for (const delivery of deliveries)
        delay.run({ seq: receiptSeq(delivery.receipt), receipt: delivery.receipt, visibleAt });
    });
  }

  async deadLetter(entries: readonly DeadLetterEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const now = this.clock.now();
    this.db.write(() => {
      const insert = this.db.sqlite.query(
        `INSERT INTO dead_letters (actor_id, body, receive_count, reason, at, message_id, letter_id)
         VALUES ($actorId, $body, $receiveCount, $reason, $now, $messageId, $letterId) ON CONFLICT DO NOTHING`,
      );
      for (const { id, message, reason, receiveCount } of entries) {
        insert.run({
          actorId: message.actorId,
          body: encodeBody(message, now),
          receiveCount,
          reason,
          now,
          messageId: message.id,
          letterId: id,
        });
      }
    });
  }

  async deadLetters(actorId?: string): Promise<DeadLetter[]> {
    const rows = this.db.sqlite
      .query<DeadLetterRow, { actorId: string | null }>(
        `SELECT body, receive_count, reason, at FROM dead_letters
         WHERE $actorId IS NULL OR actor_id = $actorId ORDER BY seq`,
      )
      .all({ actorId: actorId ?? null });
    return rows.map((row) => ({
      message: decode<ActorMessage>(row.body),
      receiveCount: row.receive_count,
      reason: row.reason,
      at: row.at,
    }));
  }

  /** Counts for the dev server's status line. */
  async stats(): Promise<QueueStats> {
    const row = this.db.read(() =>
      this.db.sqlite
        .query<QueueStats, { now: number }>(
          `SELECT (SELECT COUNT(*) FROM messages WHERE visible_at <= $now) AS queued,
                  (SELECT COUNT(*) FROM messages WHERE visible_at > $now) AS inFlight,
                  (SELECT COUNT(*) FROM dead_letters) AS deadLetters`,
        )
        .get({ now: this.clock.now() }),
    );
    return row ?? { queued: 0, inFlight: 0, deadLetters: 0 };
  }

  private insert(encoded: readonly { message: ActorMessage; body: string }[], now: number): void {
    const remember = this.db.sqlite.query(
      "INSERT INTO message_ids (id, expires_at) VALUES ($id, $expiresAt) ON CONFLICT DO NOTHING",
    );
    const insert = this.db.sqlite.query(
      `INSERT INTO messages (id, actor_id, body, visible_at) VALUES ($id, $actorId, $body, $now)
       ON CONFLICT DO NOTHING`,
    );
    for (const { message, body } of encoded) {
      if (remember.run({ id: message.id, expiresAt: now + this.retentionMs }).changes === 0) continue;
      insert.run({ id: message.id, actorId: message.actorId, body, now });
    }
    if (++this.sends % PRUNE_EVERY === 0) {
      this.db.sqlite.query("DELETE FROM message_ids WHERE expires_at < $now").run({ now });
    }
  }

  /** A read-only look first, so idle pollers in several processes never queue up for the write lock. */
  private hasDeliverable(): boolean {
    return this.db.sqlite.query(DELIVERABLE).get({ now: this.clock.now(), limit: 1 }) !== null;
  }

  private take(options: ReceiveOptions): Delivery[] {
    const now = this.clock.now();
    this.deadLetterExhausted(now);
    const rows = this.db.sqlite
      .query<MessageRow, { now: number; limit: number }>(DELIVERABLE)
      .all({ now, limit: Math.max(0, options.maxMessages) });
    const mark = this.db.sqlite.query(
      `UPDATE messages SET visible_at = $visibleAt, receive_count = receive_count + 1, receipt = $receipt
       WHERE seq = $seq`,
    );
    const deliveries: Delivery[] = [];
    for (const row of rows) {
      const message = queuedMessage(decode<unknown>(row.body));
      if (isUnusable(message)) {
        // A row no turn can run (written by hand into the file) would block its actor: it goes now.
        this.moveToDeadLetters(row, `unusable message: ${message.unusable}`, now);
        continue;
      }
      const receipt = `${row.seq}.${crypto.randomUUID()}`;
      const receiveCount = row.receive_count + 1;
      mark.run({ seq: row.seq, visibleAt: now + Math.max(0, options.visibilityTimeoutMs), receipt });
      deliveries.push({
        message: { ...message, receiveCount, sequence: padSequence(row.seq) },
        receipt,
        receiveCount,
      });
    }
    return deliveries;
  }

  /**
   * Like an SQS redrive policy, and as far past maxReceives as the deployed queue's: only a message
   * whose turns could not even park its actor that many times is dead-lettered by the queue.
   */
  private deadLetterExhausted(now: number): void {
    const rows = this.db.sqlite
      .query<MessageRow, { max: number; now: number }>(
        `SELECT seq, actor_id, body, receive_count FROM messages
         WHERE receive_count >= $max AND visible_at <= $now ORDER BY seq`,
      )
      .all({ max: this.redriveAfter, now });
    for (const row of rows) {
      this.moveToDeadLetters(row, `not acknowledged after ${row.receive_count} deliveries (redrive)`, now);
    }
  }

  private moveToDeadLetters(row: MessageRow, reason: string, now: number): void {
    this.db.sqlite
      .query(
        `INSERT INTO dead_letters (actor_id, body, receive_count, reason, at)
         VALUES ($actorId, $body, $receiveCount, $reason, $now)`,
      )
      .run({ actorId: row.actor_id, body: row.body, receiveCount: row.receive_count, reason, now });
    this.db.sqlite.query("DELETE FROM messages WHERE seq = $seq").run({ seq: row.seq });
  }
}

function encodeBody(message: ActorMessage, now: number): string {
  // Delivery facts belong to a delivery, not to the message: a resent message starts afresh.
  const rest = withoutDelivery(message);
  const body = JSON.stringify({ ...rest, sentAt: message.sentAt ?? now });
  const size = utf8ByteLength(body);
  if (size > LIMITS.asyncPayloadBytes) {
    throw new PayloadTooLargeError(
      `message ${message.id} to ${message.actorId} is ${formatBytes(size)}, over the ${formatBytes(LIMITS.asyncPayloadBytes)} queue limit`,
      {
        hint: "send a smaller input, or store large data elsewhere and pass a reference",
        details: { size, limit: LIMITS.asyncPayloadBytes },
      },
    );
  }
  return body;
}

function receiptSeq(receipt: string): number {
  const seq = Number(receipt.slice(0, receipt.indexOf(".")));
  return Number.isInteger(seq) ? seq : -1;
}
