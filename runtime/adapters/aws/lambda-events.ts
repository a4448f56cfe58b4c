import { InvalidInputError } from "../../core/errors.ts";
import { assertJson } from "../../core/json.ts";
import type { Signal } from "../../ports/signal-bus.ts";
import { SIGNAL_SOURCE } from "./config.ts";

/*
 * The event shapes the entry reads, as structural subsets of the `aws-lambda` types: real events
 * (and @types/aws-lambda values in tests) fit them, while the runtime copied into a project needs
 * no @types/aws-lambda to typecheck.
 */

/** What the entry reads of a Lambda context. */
export interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
  awsRequestId?: string;
  functionName?: string;
}

export interface SqsRecordLike {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** Always present from a real event source mapping; a hand-made event may leave it out. */
  attributes?: {
    ApproximateReceiveCount?: string | undefined;
    MessageGroupId?: string | undefined;
    /** FIFO queues: the message's place in its group. */
    SequenceNumber?: string | undefined;
  };
  eventSource: string;
  eventSourceARN: string;
}

export interface SqsEventLike {
  Records: SqsRecordLike[];
}

/** Lambda's partial batch response (the event source mapping has ReportBatchItemFailures on). */
export interface SqsBatchResult {
  batchItemFailures: { itemIdentifier: string }[];
}

export interface EventBridgeEventLike {
  id: string;
  source: string;
  "detail-type": string;
  time?: string;
  detail: unknown;
}

/** What the entry returns for a signal event (EventBridge ignores it; tests and logs read it). */
export interface SignalDeliveryResult {
  signalId: string;
  /** Messages sent to subscribing actors' queues. */
  routed: number;
}

export function isSqsEvent(event: unknown): event is SqsEventLike {
  if (typeof event !== "object" || event === null) return false;
  const records = (event as { Records?: unknown }).Records;
  return (
    Array.isArray(records) &&
    records.length > 0 &&
    records.every(
      (r) =>
        typeof r === "object" && r !== null && (r as { eventSource?: unknown }).eventSource === "aws:sqs",
    )
  );
}

export function isEventBridgeEvent(event: unknown): event is EventBridgeEventLike {
  if (typeof event !== "object" || event === null) return false;
  const e = event as Record<string, unknown>;
  return (
    typeof e["detail-type"] === "string" &&
    typeof e.source === "string" &&
    typeof e.id === "string" &&
    "detail" in e
  );
}

/**
 * The signal an EventBridge event carries (the detail the EventBridge signal bus wrote). The
 * runtime parsed the event, so the detail is checked as JSON the same way handler input is:
 * no prototype keys, bounded depth.
 */
export function signalFromEvent(event: EventBridgeEventLike): Signal {
  if (event.source !== SIGNAL_SOURCE) {
    throw new InvalidInputError(
      `event ${event.id} comes from "${event.source}", not from actors ("${SIGNAL_SOURCE}")`,
      {
        hint: "point only the fabric's signal rule at this function",
      },
    );
  }
  const detail = assertJson(event.detail, `signal ${event.id}`);
  if (typeof detail !== "object" || detail === null || Array.isArray(detail))
    throw badSignal(event.id, "its detail is not an object");
  const { id, source, at } = detail;
  if (typeof id !== "string" || id.length === 0) throw badSignal(event.id, "its detail has no signal id");
  if (typeof source !== "string") throw badSignal(event.id, "its detail has no source");
  // A signal published by something other than the bus may lack `at`; the event's own time stands in.
  const eventTime = event.time === undefined ? Number.NaN : Date.parse(event.time);
  const sentAt =
    typeof at === "number" && Number.isFinite(at) ? at : Number.isFinite(eventTime) ? eventTime : 0;
  return { id, source, type: event["detail-type"], detail: detail.detail ?? null, at: sentAt };
}

function badSignal(eventId: string, why: string): InvalidInputError {
  return new InvalidInputError(`event ${eventId} is not a Durable signal: ${why}`, {
    hint: "signals are published with ctx.signal(type, detail)",
  });
}

/** The queue an ARN or URL names: its last path or colon segment. */
export function queueNameOf(arnOrUrl: string): string {
  return arnOrUrl.slice(Math.max(arnOrUrl.lastIndexOf(":"), arnOrUrl.lastIndexOf("/")) + 1);
}
