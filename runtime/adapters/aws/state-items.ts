import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import { emptyActorRecord } from "../../core/actor-record.ts";
import { type SerializedError, StateTooLargeError, StoreUnavailableError } from "../../core/errors.ts";
import { formatBytes, type JsonValue } from "../../core/json.ts";
import type { ActorRecord, ProcessedMarker, TurnCommit } from "../../ports/actor-store.ts";
import type {
  ActorMessage,
  HeldMessage,
  OutboxEntry,
  ParkedRecord,
  TimerRecord,
  WaitingSummary,
} from "../../ports/messages.ts";
import { assertStateWithin, type PlacedState } from "../shared/state-objects.ts";
import { TABLES } from "./config.ts";
import { fleetAttributes } from "./fleet-items.ts";
import {
  boundedKey,
  getJson,
  gzName,
  type Item,
  itemBytes,
  MAX_ITEM_BYTES,
  MAX_TRANSACTION_BYTES,
  num,
  putJson,
  putJsonText,
  readNumber,
  readString,
  str,
} from "./json-attributes.ts";

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL, strandedIndex } = TABLES.state;
const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** The sort key of an actor's record in the State table. */
export const STATE_SORT_KEY = "state";

/** JSON attributes of the state item; each may be stored gzipped (see putJson). */
export const STATE_ATTRS = {
  state: "state",
  timers: "timers",
  parked: "parked",
  outbox: "outbox",
  waiting: "waiting",
} as const;

/** Plain attributes of the state item that conditions read (JSON attributes may be gzipped). */
export const STATE_FLAGS = { waitingCount: "waitingCount", isParked: "isParked" } as const;

/**
 * The state's schema (absent on items written before schemas: schema 1), and the key of the S3
 * object that holds a state too large for the item (then there is no `state` attribute).
 */
export const STATE_META = { schema: "schema", stateRef: "stateRef" } as const;
/** Room kept for a state object's key while the item's size is checked, before the key is known. */
const STATE_REF_ROOM = 320;

export function stateKey(actorId: string): Item {
  return { [PK]: str(actorId), [SK]: str(STATE_SORT_KEY) };
}

/** Markers live next to the state item, so one consistent transaction reads both. */
export function markerKey(actorId: string, messageId: string): Item {
  return { [PK]: str(actorId), [SK]: str(boundedKey("msg#", messageId)) };
}

export interface EncodedCommit {
  state: Item;
  /** The object that holds the state, when it is too large for the item (written by now). */
  placed: PlacedState | undefined;
  markers: Item[];
  /** Items of the messages the turn holds. */
  held: Item[];
  /** Keys of the held messages the turn drained. */
  drained: Item[];
}

export interface EncodeOptions {
  compressAboveBytes: number;
  maxStateBytes: number;
  markerTtlMs: number;
  /**
   * Writes a state too large for the item as an object and names it (the bucket's store); called
   * last, once nothing else can refuse the commit. Without it such a state is refused.
   */
  placeState?: ((stateJson: string, packed: Uint8Array | undefined) => Promise<PlacedState>) | undefined;
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
    [STATE_META.schema]: num(commit.schema ?? 1),
    ...fleetAttributes(actorId, commit),
  };
  const limit = options.compressAboveBytes;
  const stateJson = JSON.stringify(commit.state);
  if (options.placeState) assertStateWithin(actorId, stateJson, options.maxStateBytes);
  await putJsonText(state, STATE_ATTRS.state, stateJson, limit);
  await putJson(state, STATE_ATTRS.timers, commit.timers, limit);
  if (commit.parked !== null) await putJson(state, STATE_ATTRS.parked, commit.parked, limit);
  if (commit.outbox.length > 0) await putJson(state, STATE_ATTRS.outbox, commit.outbox, limit);
  if (commit.waiting !== null) {
    await putJson(state, STATE_ATTRS.waiting, commit.waiting, limit);
    state[STATE_FLAGS.waitingCount] = num(commit.waiting.count);
  }
  if (commit.parked !== null) state[STATE_FLAGS.isParked] = { BOOL: true };
  if (leavesWork(commit)) {
    state[strandedIndex.partitionKey] = str(strandedShard(actorId));
    state[strandedIndex.sortKey] = num(commit.now);
  }
  const itemLimit = Math.min(options.maxStateBytes, MAX_ITEM_BYTES);
  // Too large for the item: the state goes to an object, and the item keeps its key.
  const packed = state[gzName(STATE_ATTRS.state)]?.B;
  const external = options.placeState !== undefined && itemBytes(state) > itemLimit;
  if (external) {
    delete state[STATE_ATTRS.state];
    delete state[gzName(STATE_ATTRS.state)];
  }
  const stateBytes = itemBytes(state) + (external ? STATE_REF_ROOM : 0);
  if (stateBytes > itemLimit) {
    const raw = Buffer.byteLength(stateJson, "utf8");
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
  const held: Item[] = [];
  for (const message of commit.hold) {
    for (const item of await encodeHeld(actorId, message, limit)) {
      total += itemBytes(item);
      held.push(item);
    }
  }
  const drained = commit.drained.flatMap((message) => heldKeys(actorId, message));
  if (total > MAX_TRANSACTION_BYTES) {
    throw new StateTooLargeError(
      `turn on ${actorId} writes ${formatBytes(total)}, over DynamoDB's ${formatBytes(MAX_TRANSACTION_BYTES)} transaction limit`,
      {
        hint: "return smaller results, or process fewer messages per turn",
        details: { actorId, size: total },
      },
    );
  }
  const placed = external ? await options.placeState?.(stateJson, packed) : undefined;
  if (placed) state[STATE_META.stateRef] = str(placed.ref);
  return { state, placed, markers, held, drained };
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

/** Reads the object a state item points at (the store's bucket). */
export type ReadStateObject = (ref: string) => Promise<JsonValue>;

export async function decodeRecord(
  actorId: string,
  item: Item | undefined,
  readObject?: ReadStateObject,
): Promise<ActorRecord> {
  if (!item || readNumber(item, "version") === undefined) return emptyActorRecord(actorId);
  const stateRef = readString(item, STATE_META.stateRef);
  if (stateRef !== undefined && !readObject) {
    throw new StoreUnavailableError(`the state of ${actorId} is in S3 and this store has no bucket`, {
      hint: "set DURABLE_STATE_BUCKET (the DurableFabric construct does)",
    });
  }
  return {
    actorId,
    actorType: readString(item, "actorType") ?? null,
    version: readNumber(item, "version") ?? 0,
    state:
      stateRef !== undefined && readObject
        ? await readObject(stateRef)
        : ((await getJson<JsonValue>(item, STATE_ATTRS.state)) ?? null),
    timers: (await getJson<Record<string, TimerRecord>>(item, STATE_ATTRS.timers)) ?? {},
    parked: (await getJson<ParkedRecord>(item, STATE_ATTRS.parked)) ?? null,
    outbox: (await getJson<OutboxEntry[]>(item, STATE_ATTRS.outbox)) ?? [],
    waiting: (await getJson<WaitingSummary>(item, STATE_ATTRS.waiting)) ?? null,
    updatedAt: readNumber(item, "updatedAt") ?? 0,
    schema: readNumber(item, STATE_META.schema) ?? 1,
    ...(stateRef === undefined ? {} : { stateRef }),
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

/** Held messages sit next to the actor's state item, in delivery order: `wait#<position>[#<part>]`. */
export const WAIT_PREFIX = "wait#";
/** A held message bigger than one item (SQS allows 1 MiB) is split into parts of this many bytes. */
const PART_BYTES = 350 * 1024;

export function waitKey(actorId: string, position: string, part = 0): Item {
  return { [PK]: str(actorId), [SK]: str(`${WAIT_PREFIX}${position}${part === 0 ? "" : `#${part}`}`) };
}

/** The items of one held message: usually one; a message over an item's size goes gzipped, in parts. */
export async function encodeHeld(actorId: string, held: HeldMessage, compressAbove: number): Promise<Item[]> {
  const item: Item = { ...waitKey(actorId, held.position), position: str(held.position) };
  await putJson(item, "message", held.message, compressAbove);
  if (itemBytes(item) <= MAX_ITEM_BYTES) return [item];
  const packed = await gzipAsync(JSON.stringify(held.message));
  const parts: Item[] = [];
  for (let offset = 0, part = 0; offset < packed.byteLength; offset += PART_BYTES, part++) {
    parts.push({
      ...waitKey(actorId, held.position, part),
      part: { B: packed.subarray(offset, offset + PART_BYTES) },
    });
  }
  const head = parts[0] as Item;
  head.position = str(held.position);
  head.parts = num(parts.length);
  return parts;
}

/** Reassembles held messages from items read in key order; a message whose parts were cut off by a page is left out. */
export async function decodeHeld(items: readonly Item[]): Promise<HeldMessage[]> {
  const held: HeldMessage[] = [];
  for (let i = 0; i < items.length; ) {
    const head = items[i] as Item;
    const position = readString(head, "position");
    const parts = readNumber(head, "parts") ?? 1;
    if (position === undefined) {
      i++;
      continue;
    }
    if (parts === 1) {
      const message = await getJson<ActorMessage>(head, "message");
      if (message) held.push({ position, message, parts: 1 });
      i++;
      continue;
    }
    const chunks = items.slice(i, i + parts).map((item) => item.part?.B);
    if (chunks.length < parts || chunks.some((chunk) => chunk === undefined)) break;
    const text = (await gunzipAsync(Buffer.concat(chunks as Uint8Array[]))).toString("utf8");
    held.push({ position, message: JSON.parse(text) as ActorMessage, parts });
    i += parts;
  }
  return held;
}

/** The keys a drained held message occupies. */
export function heldKeys(actorId: string, held: HeldMessage): Item[] {
  const keys: Item[] = [];
  for (let part = 0; part < (held.parts ?? 1); part++) keys.push(waitKey(actorId, held.position, part));
  return keys;
}

/** Which shard of the stranded index an actor's state item goes to. */
export function strandedShard(actorId: string): string {
  const digest = createHash("sha256").update(actorId).digest();
  return `s${(digest.readUInt32BE(0) % TABLES.state.strandedIndex.shards).toString(16)}`;
}

/** Work a commit leaves for after it: an outbox to relay, or waiting messages an unparked actor can run. */
export function leavesWork(commit: Pick<TurnCommit, "outbox" | "waiting" | "parked">): boolean {
  return commit.outbox.length > 0 || ((commit.waiting?.count ?? 0) > 0 && commit.parked === null);
}
