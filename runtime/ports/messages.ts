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
   * The id was generated for this one sync call, so nothing can deliver it again: the turn keeps
   * no processed marker for it (one item less to read and write). Callers that retry pass an id.
   */
  transient?: boolean | undefined;
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
  | { kind: "signal"; id: string; source: string; type: string; detail: JsonValue };
