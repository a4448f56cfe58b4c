import { createHash } from "node:crypto";
import type { MessageAttributeValue } from "@aws-sdk/client-sqs";
import { PayloadTooLargeError } from "../../core/errors.ts";
import { formatBytes } from "../../core/json.ts";
import { LIMITS } from "../../core/limits.ts";
import { queuedMessage, type UnusableMessage } from "../../core/queued-message.ts";
import { withoutDelivery } from "../../core/waiting.ts";
import type { ActorMessage, MessageKind } from "../../ports/messages.ts";
import { SQS_ATTRIBUTES } from "./config.ts";

export interface EncodedMessage {
  body: string;
  attributes: Record<string, MessageAttributeValue>;
  /** What SQS counts against its 1 MiB limit: the body plus every attribute name, type and value. */
  bytes: number;
}

const KINDS: ReadonlySet<string> = new Set<MessageKind>(["call", "send", "timer", "signal"]);

/**
 * The SQS form of a message: the body is the whole message as JSON (Scheduler can set no
 * attributes, so the body alone must be enough); attributes only help filtering and tooling.
 * Refuses a message over 1 MiB before anything is sent.
 */
export function encodeMessage(
  message: ActorMessage,
  now: number,
  extra: Record<string, string> = {},
): EncodedMessage {
  // Delivery facts belong to a delivery, not to the message: a resent message starts afresh.
  const rest = withoutDelivery(message);
  const body = JSON.stringify({ ...rest, sentAt: message.sentAt ?? now });
  const attributes: Record<string, MessageAttributeValue> = {
    [SQS_ATTRIBUTES.kind]: { DataType: "String", StringValue: message.kind },
  };
  if (message.actorType)
    attributes[SQS_ATTRIBUTES.actorType] = { DataType: "String", StringValue: message.actorType };
  for (const [name, value] of Object.entries(extra))
    attributes[name] = { DataType: "String", StringValue: value };
  const bytes = Buffer.byteLength(body, "utf8") + attributesBytes(attributes);
  if (bytes > LIMITS.asyncPayloadBytes) {
    throw new PayloadTooLargeError(
      `message ${message.id} to ${message.actorId} is ${formatBytes(bytes)}, over the ${formatBytes(LIMITS.asyncPayloadBytes)} queue limit`,
      {
        hint: "send a smaller input, or store large data elsewhere and pass a reference",
        details: { size: bytes, limit: LIMITS.asyncPayloadBytes },
      },
    );
  }
  return { body, attributes, bytes };
}

function attributesBytes(attributes: Record<string, MessageAttributeValue>): number {
  let total = 0;
  for (const [name, value] of Object.entries(attributes)) {
    total +=
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType ?? "") +
      Buffer.byteLength(value.StringValue ?? "");
  }
  return total;
}

/**
 * The message a delivered body carries, checked as core/queued-message.ts says (the body cannot
 * choose `kind` freely or `transient`), or why it is unusable.
 */
export function decodeQueuedMessage(body: string | undefined): ActorMessage | UnusableMessage {
  if (body === undefined) return { unusable: "the message has no body" };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { unusable: "the body is not JSON" };
  }
  return queuedMessage(value);
}

/** Parses a body this fabric wrote (or Scheduler delivered), as it is, for listings; undefined for anything else. */
export function decodeMessage(body: string | undefined): ActorMessage | undefined {
  if (body === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const m = value as Record<string, unknown>;
  if (typeof m.id !== "string" || typeof m.actorId !== "string" || typeof m.handler !== "string")
    return undefined;
  if (typeof m.kind !== "string" || !KINDS.has(m.kind)) return undefined;
  const message = value as ActorMessage & { nonce?: unknown };
  // The nonce only makes Scheduler's content-based dedup tell two schedules of one timer apart.
  const { nonce: _nonce, ...rest } = message;
  return rest;
}

/** SQS accepts 1-128 printable ASCII characters; any other id is replaced by its SHA-256 (64 hex). */
const DEDUP_ID = /^[\x21-\x7e]{1,128}$/;

export function deduplicationId(id: string): string {
  return DEDUP_ID.test(id) ? id : sha256(id);
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** SQS batch limits: 10 entries and 1 MiB in total. Order is kept, so each actor's messages stay in order. */
export function batches<T extends { bytes: number }>(
  entries: readonly T[],
  maxBytes = LIMITS.asyncPayloadBytes,
): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const entry of entries) {
    if (current.length === 10 || (current.length > 0 && size + entry.bytes > maxBytes)) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(entry);
    size += entry.bytes;
  }
  if (current.length > 0) out.push(current);
  return out;
}
