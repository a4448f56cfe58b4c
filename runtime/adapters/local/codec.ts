import { StateTooLargeError } from "../../core/errors.ts";
import { formatBytes, utf8ByteLength } from "../../core/json.ts";

export const DAY_MS = 24 * 60 * 60 * 1000;
/** SQS FIFO's longest retention: a message id may be redelivered, or resent, for this long. */
export const RETENTION_MS = 14 * DAY_MS;

/** Columns hold JSON this adapter wrote itself, so parsing trusts the shape. */
export function decode<T>(text: string): T {
  return JSON.parse(text) as T;
}

export function decodeOptional<T>(text: string | null): T | undefined {
  return text === null ? undefined : (JSON.parse(text) as T);
}

export function encodeOptional(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/**
 * Whether a state fits where the DynamoDB backend would keep it inline: its item limit applies after
 * compression, so a state over the limit as text is measured again gzipped.
 */
export function fitsInline(stateJson: string, limit: number): boolean {
  return utf8ByteLength(stateJson) <= limit || gzipSync(stateJson).byteLength <= limit;
}

/**
 * node:zlib, required on first use (only a state over the row limit is compressed): loading it
 * costs Bun several milliseconds, a tenth of a one-shot `durable invoke`.
 */
function gzipSync(text: string): Uint8Array {
  return (require("node:zlib") as typeof import("node:zlib")).gzipSync(text);
}

/** Refuses a state the DynamoDB backend without large-state storage would refuse. */
export function assertStateSize(actorId: string, stateJson: string, limit: number): void {
  if (fitsInline(stateJson, limit)) return;
  const raw = utf8ByteLength(stateJson);
  const compressed = gzipSync(stateJson).byteLength;
  throw new StateTooLargeError(
    `state of ${actorId} is ${formatBytes(raw)} (${formatBytes(compressed)} compressed), over the ${formatBytes(limit)} limit`,
    {
      hint: "keep large data out of actor state (store it elsewhere and keep a reference), or split the actor",
      details: { actorId, size: raw, compressedSize: compressed, limit },
    },
  );
}
