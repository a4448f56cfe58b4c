import type { ActorMessage } from "../ports/messages.ts";

/** Width of a padded delivery sequence: SQS's SequenceNumber is a 128-bit decimal (at most 39 digits). */
const SEQUENCE_WIDTH = 40;

/**
 * A queue's delivery sequence as a string that sorts in delivery order.
 * @example padSequence("18849496460467696128") // "00000000000000000000018849496460467696128"
 */
export function padSequence(sequence: string | number | bigint): string {
  const digits = String(sequence);
  if (!/^\d{1,40}$/.test(digits)) throw new RangeError(`not a delivery sequence: ${digits}`);
  return digits.padStart(SEQUENCE_WIDTH, "0");
}

/**
 * Where a held message goes in its actor's waiting list: its delivery sequence. A message that
 * came without one (applied outside a queue) goes right after the last held position: "~" sorts
 * after every digit, so the position stays below the next real sequence.
 */
export function heldPosition(message: ActorMessage, through: string): string {
  if (message.sequence !== undefined) return message.sequence;
  return through === "" ? "0".repeat(SEQUENCE_WIDTH) : `${through}~`;
}

/**
 * The position of a redriven dead letter: "!" sorts before every digit, so it goes ahead of all
 * held messages; the stamp and index keep several redrives in the order they were made.
 */
export function redrivePosition(now: number, index: number, messageId: string): string {
  // The id's hash keeps two redrives in the same millisecond from sharing a position.
  return `!${padSequence(now)}.${String(index).padStart(4, "0")}.${fnv1a(messageId)}`;
}

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

/** A message as it is stored or sent on: what belongs to one delivery (count, sequence) stays behind. */
export function withoutDelivery(message: ActorMessage): ActorMessage {
  const { receiveCount: _receiveCount, sequence: _sequence, ...rest } = message;
  return rest;
}
