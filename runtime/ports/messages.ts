import type { JsonValue, SerializedError } from "./values.ts";

/** What a message asks of an actor. */
export type MessageKind = "call" | "send" | "timer" | "signal";

/**
 * One unit of work for an actor: a sync call, an async message, a fired timer or a routed signal.
 * `id` is the idempotency key: the turn applies each id at most once.
 */
export interface ActorMessage {
  id: string;
  actorId: string;
  /** The actor type; resolved from the id when absent (see resolveActorType). */
  actorType?: string | undefined;
  handler: string;
  input?: JsonValue | undefined;
  kind: MessageKind;
  /** For kind "timer": which timer fired. */
  timer?: { name: string; timerId: string } | undefined;
  /** Actor ids of the synchronous call chain that led here (cycle protection). */
  callChain?: string[] | undefined;
  /** Deliveries so far, including this one (1 on the first delivery). */
  receiveCount?: number | undefined;
  /** Milliseconds since the epoch when the message was first sent. */
  sentAt?: number | undefined;
  /**
   * Set by the queue on delivery: the message's place in its actor's order (SQS's SequenceNumber,
   * the local queue's row number), padded so that strings sort in delivery order.
   */
  sequence?: string | undefined;
  /**
   * The id was generated for this one sync call, so nothing can deliver it again: the turn keeps
   * no processed marker for it (one item less to read and write). Callers that retry pass an id.
   */
  transient?: boolean | undefined;
}

/**
 * Queued messages held for an actor in durable storage, in delivery order: the followers of a
 * poison message while the actor is parked, applied in order once it is unparked.
 */
export interface WaitingSummary {
  count: number;
  /** The highest position held: a redelivery at or below it is already held. */
  through: string;
  /** Failures of the list's head while it was being applied; at maxReceives it parks the actor. */
  headFailures: number;
}

/** One held message and its place in the actor's order. */
export interface HeldMessage {
  position: string;
  message: ActorMessage;
  /** How many stored items hold it, when a store splits large messages (set by the store that loaded it). */
  parts?: number | undefined;
}

export interface TimerRecord {
  timerId: string;
  at: number;
  data?: JsonValue | undefined;
}

export interface ParkedRecord {
  messageId: string;
  handler: string;
  at: number;
  error: SerializedError;
  /**
   * False when what parked the actor was no queued message, so nothing went to the dead-letter
   * queue: a sync call or `durable migrate` meeting a migration that throws. Absent: it was.
   */
  deadLettered?: boolean | undefined;
}

/** An effect of a committed turn, relayed after the commit. `id` makes relaying idempotent. */
export type OutboxEntry =
  | { kind: "send"; id: string; message: ActorMessage }
  | {
      kind: "timer.set";
      id: string;
      actorId: string;
      actorType: string;
      name: string;
      timerId: string;
      at: number;
    }
  | { kind: "timer.cancel"; id: string; actorId: string; name: string; timerId: string }
  | { kind: "signal"; id: string; source: string; type: string; detail: JsonValue }
  | {
      /** The message that parked the actor, on its way to the dead-letter queue. */
      kind: "deadLetter";
      id: string;
      message: ActorMessage;
      reason: string;
      receiveCount: number;
    };
