import type { ActorMessage } from "./messages.ts";

/** A delivered message with its handle for acknowledging it. */
export interface Delivery {
  message: ActorMessage;
  receipt: string;
  receiveCount: number;
}

export interface ReceiveOptions {
  maxMessages: number;
  visibilityTimeoutMs: number;
  /** Wait up to this long for messages (0 = return at once). */
  waitMs?: number;
}

export interface DeadLetter {
  message: ActorMessage;
  receiveCount: number;
  reason: string;
  at: number;
}

/** A message on its way to the dead-letter queue, and why. */
export interface DeadLetterEntry {
  /**
   * Unique per dead-lettering: relaying the same entry again is dropped, while the same message
   * dead-lettered again later (redriven, failed again) is a new letter.
   */
  id: string;
  message: ActorMessage;
  reason: string;
  receiveCount: number;
}

/**
 * Per-actor FIFO delivery (a message group per actor id). While a message of an actor is in
 * flight, no later message of that actor is delivered. Sends are idempotent per message id.
 * Deliveries carry `receiveCount` and `sequence` on their message.
 */
export interface MessageQueue {
  /**
   * Deliveries a message is permitted. The turn parks its actor when the last one fails; the
   * queue itself dead-letters a message only LIMITS.redriveSlackReceives deliveries later (a backstop for a
   * store that stays unreachable), never at maxReceives.
   */
  readonly maxReceives: number;
  send(messages: readonly ActorMessage[]): Promise<void>;
  /** Deliveries in per-actor order; a batch may hold several actors. */
  receive(options: ReceiveOptions): Promise<Delivery[]>;
  ack(deliveries: readonly Delivery[]): Promise<void>;
  /** Makes the message visible again after `delayMs` (a retry). Never dead-letters. */
  retry(deliveries: readonly Delivery[], delayMs: number): Promise<void>;
  /**
   * Returns messages that were delivered but never attempted (skipped behind an earlier failure
   * of their actor) to the queue at once, without counting the delivery, so they do not follow a
   * poison message into the DLQ. A queue that cannot uncount a receive (SQS) retries them.
   */
  release(deliveries: readonly Delivery[]): Promise<void>;
  /**
   * Puts messages in the dead-letter queue (the relay of a turn that parked their actor); the
   * message is already acknowledged or held elsewhere. Idempotent per message id.
   */
  deadLetter(entries: readonly DeadLetterEntry[]): Promise<void>;
  deadLetters(actorId?: string): Promise<DeadLetter[]>;
}
