import { InvalidActorIdError } from "./errors.ts";
import { assertMaxBytes, type JsonValue } from "./json.ts";

/** The limits of DESIGN §2.9; each is checked before any network call. */
export const LIMITS = {
  actorIdPattern: /^[A-Za-z0-9._:-]{1,128}$/,
  /** Lambda's synchronous invoke payload. */
  syncPayloadBytes: 6 * 1024 * 1024,
  /** SQS message body (also the local inbox, so both backends refuse the same sizes). */
  asyncPayloadBytes: 1024 * 1024,
  /** An EventBridge PutEvents entry. */
  signalPayloadBytes: 256 * 1024,
  /**
   * The largest state, as JSON text. A state that does not fit its record inline (below) is stored
   * as an object (S3 on AWS, a blob table locally), written before the commit that points at it.
   */
  stateBytes: 10 * 1024 * 1024,
  /** What fits in the record itself: a DynamoDB item, measured after compression. */
  inlineStateBytes: 400 * 1024,
  /**
   * A large-state object nobody references is deleted by the sweep only once it is this old, unless
   * its actor's record has already moved past the version it was written for.
   */
  orphanStateGraceMs: 60 * 60 * 1000,
  /** A message id (an idempotency key), as the Lambda entry and the dev API accept it. */
  messageIdLength: 512,
  /**
   * Deliveries past maxReceives before the queue's own redrive dead-letters a message. The turn
   * parks an actor on the last permitted delivery; this backstop acts only if parking could not
   * be committed that many times (a store that stays unreachable).
   */
  redriveSlackReceives: 10,
  /** Bytes of held messages one turn may add to an actor's waiting list (a DynamoDB transaction holds 4 MB). */
  heldBytesPerTurn: 3 * 1024 * 1024,
  /** Held messages one turn applies from an actor's waiting list (a DynamoDB transaction holds 100 items). */
  drainPerTurn: 25,
} as const;

const RESERVED_IDS = new Set([".", "..", "__proto__", "constructor", "prototype"]);

export function isValidActorId(id: unknown): id is string {
  return typeof id === "string" && LIMITS.actorIdPattern.test(id) && !RESERVED_IDS.has(id);
}

/**
 * @example assertActorId("counter-1")
 */
export function assertActorId(id: unknown): asserts id is string {
  if (typeof id !== "string" || !LIMITS.actorIdPattern.test(id)) {
    const shown =
      typeof id === "string" ? JSON.stringify(id.length > 40 ? `${id.slice(0, 40)}…` : id) : typeof id;
    throw new InvalidActorIdError(
      `invalid actor id ${shown}: ids are 1-128 characters of letters, digits and . _ : -`,
      { hint: "use an id such as counter-1", details: { pattern: LIMITS.actorIdPattern.source } },
    );
  }
  // "." and ".." read as paths, and the prototype names would alias object internals wherever an
  // id becomes a key; none is a useful actor name, so all are refused up front.
  if (RESERVED_IDS.has(id)) {
    throw new InvalidActorIdError(`invalid actor id ${JSON.stringify(id)}: it is reserved`, {
      hint: "use an id such as counter-1",
    });
  }
}

export function assertSyncPayload(input: JsonValue | undefined, what = "input"): void {
  assertMaxBytes(input, LIMITS.syncPayloadBytes, `${what} of a sync call`);
}

export function assertAsyncPayload(input: JsonValue | undefined, what = "input"): void {
  assertMaxBytes(input, LIMITS.asyncPayloadBytes, `${what} of an async message`);
}

export function assertSignalPayload(detail: JsonValue | undefined): void {
  assertMaxBytes(detail, LIMITS.signalPayloadBytes, "signal detail");
}
