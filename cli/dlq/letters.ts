import { SIGNAL_SOURCE } from "../../runtime/adapters/aws/config.ts";
import type { JsonObject, JsonValue } from "../../runtime/core/json.ts";
import { isUnusable, queuedMessage } from "../../runtime/core/queued-message.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";

/** Which dead-letter queue a letter is in: the actors' (local: the dead_letters table) or the signals' (stages only). */
export type DlqName = "actors" | "signals";

/** How a letter goes back, decided from its body and reason when it is read. */
export type RedrivePath =
  /** An actor message: put back ahead of its actor's later messages (Fabric.redrive). */
  | { kind: "actor"; message: ActorMessage }
  /** A signal whose route threw for one subscriber: routed again, then put back at the actor it picks. */
  | { kind: "route"; message: ActorMessage; signalType: string }
  /** An EventBridge signal event the function never handled: delivered to the function again. */
  | { kind: "event"; event: JsonObject }
  | { kind: "none"; why: string };

/** Where a letter is stored, for removing it: a row of the local table, or a received SQS message. */
export type LetterRef = { seq: number } | { queueUrl: string; receipt: string };

export interface Letter {
  /** What the operator names it by: the message id, a signal event's signal id, or a stored id for an unreadable body. */
  id: string;
  dlq: DlqName;
  actorId: string | null;
  actorType: string | null;
  handler: string | null;
  kind: string | null;
  signalType: string | null;
  reason: string;
  /** When it was dead-lettered (ms since the epoch). */
  at: number;
  receiveCount: number | null;
  /** The body as stored: its JSON, or the text when it is not JSON. */
  body: JsonValue;
  path: RedrivePath;
  ref: LetterRef;
}

/** What a stored body and its queue's attributes say about a letter of the actor DLQ. */
export interface StoredLetter {
  body: string;
  reason: string;
  at: number;
  receiveCount: number | null;
  /** The id and actor to show when the body names none (an unreadable body). */
  storedId: string;
  storedActor: string;
  ref: LetterRef;
}

/**
 * The reason core/signal-routing.ts gives a subscriber whose route failed; the signal's type is
 * only in this text (the routed message does not carry it).
 */
const ROUTE_FAILED = /^the \S+ route of signal (.+?) (?:threw: |picked no valid actor id)/;

/** A letter of the actor DLQ: an actor message (or a failed signal route), or a body no turn can run. */
export function actorLetter(stored: StoredLetter): Letter {
  const body = parseBody(stored.body);
  const decoded = queuedMessage(body);
  const base = {
    dlq: "actors" as const,
    reason: stored.reason,
    at: stored.at,
    receiveCount: stored.receiveCount,
    body,
    ref: stored.ref,
  };
  if (isUnusable(decoded)) {
    const raw = typeof body === "object" && body !== null && !Array.isArray(body) ? body : {};
    const text = (key: string): string | null => (typeof raw[key] === "string" ? (raw[key] as string) : null);
    return {
      ...base,
      id: text("id") ?? stored.storedId,
      actorId: text("actorId") ?? (stored.storedActor || null),
      actorType: text("actorType"),
      handler: text("handler"),
      kind: text("kind"),
      signalType: null,
      path: {
        kind: "none",
        why: `its body is not a message the fabric can run (${decoded.unusable}); read it with durable dlq show, then purge it`,
      },
    };
  }
  const signalType = decoded.kind === "signal" ? (ROUTE_FAILED.exec(stored.reason)?.[1] ?? null) : null;
  return {
    ...base,
    id: decoded.id,
    actorId: decoded.actorId,
    actorType: decoded.actorType ?? null,
    handler: decoded.handler,
    kind: decoded.kind,
    signalType,
    path:
      signalType === null
        ? { kind: "actor", message: decoded }
        : { kind: "route", message: decoded, signalType },
  };
}

/** A letter of the signal DLQ: the EventBridge event EventBridge or Lambda could not get handled. */
export function signalEventLetter(stored: Omit<StoredLetter, "storedActor">): Letter {
  const body = parseBody(stored.body);
  const event = typeof body === "object" && body !== null && !Array.isArray(body) ? body : undefined;
  const detail = event?.detail;
  const signalId =
    typeof detail === "object" && detail !== null && !Array.isArray(detail) && typeof detail.id === "string"
      ? detail.id
      : undefined;
  const type = typeof event?.["detail-type"] === "string" ? event["detail-type"] : null;
  const isSignal = event !== undefined && event.source === SIGNAL_SOURCE && typeof event.id === "string";
  return {
    id: signalId ?? (typeof event?.id === "string" ? event.id : stored.storedId),
    dlq: "signals",
    actorId: null,
    actorType: null,
    handler: null,
    kind: "signal",
    signalType: type,
    reason: stored.reason,
    at: stored.at,
    receiveCount: stored.receiveCount,
    body,
    ref: stored.ref,
    path:
      event && isSignal && type !== null
        ? { kind: "event", event }
        : {
            kind: "none",
            why: `its body is not an EventBridge event from actors (source ${SIGNAL_SOURCE}); read it with durable dlq show, then purge it`,
          },
  };
}

/** The letter as `list --json` prints it; `show` adds the body. */
export function letterView(letter: Letter) {
  return {
    messageId: letter.id,
    dlq: letter.dlq,
    actorId: letter.actorId,
    actorType: letter.actorType,
    handler: letter.handler,
    kind: letter.kind,
    signalType: letter.signalType,
    reason: letter.reason,
    firstFailedAt: new Date(letter.at).toISOString(),
    receiveCount: letter.receiveCount,
    redrivable: letter.path.kind !== "none",
    ...(letter.path.kind === "none" ? { notRedrivable: letter.path.why } : {}),
  };
}

/** Oldest first; letters dead-lettered in the same millisecond keep the order they were read in. */
export function byAge(letters: readonly Letter[]): Letter[] {
  return letters
    .map((letter, i) => ({ letter, i }))
    .sort((a, b) => a.letter.at - b.letter.at || a.i - b.i)
    .map((x) => x.letter);
}

function parseBody(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}
