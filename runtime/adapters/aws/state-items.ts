import { emptyActorRecord } from "../../core/actor-record.ts";
import { type SerializedError, StateTooLargeError } from "../../core/errors.ts";
import { formatBytes, type JsonValue } from "../../core/json.ts";
import type { ActorRecord, ProcessedMarker, TurnCommit } from "../../ports/actor-store.ts";
import type { OutboxEntry, ParkedRecord, TimerRecord } from "../../ports/messages.ts";
import { TABLES } from "./config.ts";
import {
  boundedKey,
  getJson,
  type Item,
  itemBytes,
  MAX_ITEM_BYTES,
  MAX_TRANSACTION_BYTES,
  num,
  putJson,
  readNumber,
  readString,
  str,
} from "./json-attributes.ts";

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLES.state;

/** The sort key of an actor's record in the State table. */
export const STATE_SORT_KEY = "state";

/** JSON attributes of the state item; each may be stored gzipped (see putJson). */
export const STATE_ATTRS = { state: "state", timers: "timers", parked: "parked", outbox: "outbox" } as const;

export function stateKey(actorId: string): Item {
  return { [PK]: str(actorId), [SK]: str(STATE_SORT_KEY) };
}

/** Markers live next to the state item, so one consistent transaction reads both. */
export function markerKey(actorId: string, messageId: string): Item {
  return { [PK]: str(actorId), [SK]: str(boundedKey("msg#", messageId)) };
}

export interface EncodedCommit {
  state: Item;
  markers: Item[];
}

export interface EncodeOptions {
  compressAboveBytes: number;
  maxStateBytes: number;
  markerTtlMs: number;
}

/**
 * Builds the items of one turn and refuses, before any network call, anything DynamoDB would refuse:
 * an item over 400 KB after compression, or a transaction over 4 MB.
 */
export async function encodeCommit(commit: TurnCommit, options: EncodeOptions): Promise<EncodedCommit> {
  const actorId = commit.lease.actorId;
  const state: Item = {
    ...stateKey(actorId),
    actorType: str(commit.actorType),
    version: num(commit.version),
    updatedAt: num(commit.now),
  };
  const limit = options.compressAboveBytes;
  await putJson(state, STATE_ATTRS.state, commit.state, limit);
  await putJson(state, STATE_ATTRS.timers, commit.timers, limit);
  if (commit.parked !== null) await putJson(state, STATE_ATTRS.parked, commit.parked, limit);
  if (commit.outbox.length > 0) await putJson(state, STATE_ATTRS.outbox, commit.outbox, limit);
  const stateBytes = itemBytes(state);
  const itemLimit = Math.min(options.maxStateBytes, MAX_ITEM_BYTES);
  if (stateBytes > itemLimit) {
    const raw = Buffer.byteLength(JSON.stringify(commit.state), "utf8");
    throw new StateTooLargeError(
      `state of ${actorId} is ${formatBytes(raw)} (${formatBytes(stateBytes)} stored, compressed, with timers and outbox), over the ${formatBytes(itemLimit)} limit`,
      {
        hint: "keep large data out of actor state (store it elsewhere and keep a reference), or split the actor",
        details: { actorId, size: raw, storedSize: stateBytes, limit: itemLimit },
      },
    );
  }
  const ttl = Math.ceil((commit.now + options.markerTtlMs) / 1000);
  const markers: Item[] = [];
  let total = stateBytes;
  for (const marker of commit.markers) {
    const item = await encodeMarker(actorId, marker, ttl, commit.now, limit);
    const bytes = itemBytes(item);
    if (bytes > MAX_ITEM_BYTES) {
      throw new StateTooLargeError(
        `the result of message ${marker.messageId} to ${actorId} is ${formatBytes(bytes)} compressed, too large to record (limit ${formatBytes(MAX_ITEM_BYTES)})`,
        {
          hint: "return a smaller result from the handler",
          details: { actorId, messageId: marker.messageId, size: bytes },
        },
      );
    }
    total += bytes;
    markers.push(item);
  }
  if (total > MAX_TRANSACTION_BYTES) {
    throw new StateTooLargeError(
      `turn on ${actorId} writes ${formatBytes(total)}, over DynamoDB's ${formatBytes(MAX_TRANSACTION_BYTES)} transaction limit`,
      {
        hint: "return smaller results, or process fewer messages per turn",
        details: { actorId, size: total },
      },
    );
  }
  return { state, markers };
}

async function encodeMarker(
  actorId: string,
  marker: ProcessedMarker,
  ttl: number,
  now: number,
  compressAbove: number,
): Promise<Item> {
  const item: Item = {
    ...markerKey(actorId, marker.messageId),
    messageId: str(marker.messageId),
    version: num(marker.version),
    at: num(now),
    // DynamoDB deletes the marker some time after this (epoch seconds); it outlives every redelivery.
    [TTL]: num(ttl),
  };
  await putJson(item, "result", marker.result, compressAbove);
  await putJson(item, "error", marker.error, compressAbove);
  return item;
}

export async function decodeRecord(actorId: string, item: Item | undefined): Promise<ActorRecord> {
  if (!item || readNumber(item, "version") === undefined) return emptyActorRecord(actorId);
  return {
    actorId,
    actorType: readString(item, "actorType") ?? null,
    version: readNumber(item, "version") ?? 0,
    state: (await getJson<JsonValue>(item, STATE_ATTRS.state)) ?? null,
    timers: (await getJson<Record<string, TimerRecord>>(item, STATE_ATTRS.timers)) ?? {},
    parked: (await getJson<ParkedRecord>(item, STATE_ATTRS.parked)) ?? null,
    outbox: (await getJson<OutboxEntry[]>(item, STATE_ATTRS.outbox)) ?? [],
    updatedAt: readNumber(item, "updatedAt") ?? 0,
  };
}

export async function decodeMarker(item: Item): Promise<ProcessedMarker | undefined> {
  const messageId = readString(item, "messageId");
  const version = readNumber(item, "version");
  if (messageId === undefined || version === undefined) return undefined;
  const marker: ProcessedMarker = { messageId, version };
  const result = await getJson<JsonValue>(item, "result");
  const error = await getJson<SerializedError>(item, "error");
  if (result !== undefined) marker.result = result;
  if (error !== undefined) marker.error = error;
  return marker;
}
