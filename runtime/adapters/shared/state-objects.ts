import {
  LeaseLostError,
  StateTooLargeError,
  StoreBusyError,
  StoreUnavailableError,
  VersionConflictError,
} from "../../core/errors.ts";
import { formatBytes, type JsonValue, utf8ByteLength } from "../../core/json.ts";
import type { TurnCommit } from "../../ports/actor-store.ts";
import type { StateBlobStore } from "../../ports/state-blobs.ts";

// Loaded on first use, i.e. by the first large state: node:zlib and node:crypto cost Bun several
// milliseconds each to load, and a one-shot `durable invoke` on a small state needs neither.
const zlib = () => import("node:zlib");
const nodeCrypto = () => import("node:crypto");

async function gzipAsync(text: string): Promise<Uint8Array> {
  const { gzip } = await zlib();
  return new Promise((resolve, reject) => gzip(text, (error, out) => (error ? reject(error) : resolve(out))));
}

async function gunzipAsync(body: Uint8Array): Promise<Buffer> {
  const { gunzip } = await zlib();
  return new Promise((resolve, reject) =>
    gunzip(body, (error, out) => (error ? reject(error) : resolve(out))),
  );
}

/**
 * Large states of both backends, stored the same way: gzipped JSON under
 * `state/<actorId>/<version>-<epoch>-<sha256 of the JSON>.json.gz`. The hash addresses the content
 * (a load checks it); the version and lease epoch make every commit attempt write its own key, so
 * no two writers ever race on one object and an object is never referenced once its version has
 * been committed with another: that is what lets the sweep delete orphans without a race.
 */
export const STATE_OBJECT_PREFIX = "state/";
/** Where an S3 store keeps the orphan sweep's place, so every container continues the same pass. */
export const SWEEP_CURSOR_KEY = "sweep/state-cursor";
const KEY = /^state\/([A-Za-z0-9._:-]{1,128})\/(\d+)-(\d+)-([0-9a-f]{64})\.json\.gz$/;

export interface StateObjectKey {
  actorId: string;
  version: number;
  epoch: number;
  sha256: string;
}

export function stateObjectKey(k: StateObjectKey): string {
  return `${STATE_OBJECT_PREFIX}${k.actorId}/${k.version}-${k.epoch}-${k.sha256}.json.gz`;
}

export function parseStateObjectKey(key: string): StateObjectKey | undefined {
  const m = KEY.exec(key);
  if (!m) return undefined;
  return { actorId: m[1] as string, version: Number(m[2]), epoch: Number(m[3]), sha256: m[4] as string };
}

export async function sha256Hex(text: string): Promise<string> {
  return (await nodeCrypto()).createHash("sha256").update(text).digest("hex");
}

/**
 * A store with large-state storage takes states up to `limit` bytes of JSON, compressible or not;
 * checked before anything is written.
 */
export function assertStateWithin(actorId: string, stateJson: string, limit: number): void {
  const bytes = utf8ByteLength(stateJson);
  if (bytes <= limit) return;
  throw new StateTooLargeError(
    `state of ${actorId} is ${formatBytes(bytes)} of JSON, over the ${formatBytes(limit)} limit`,
    {
      hint: "keep large data out of actor state (store it elsewhere and keep a reference), or split the actor",
      details: { actorId, size: bytes, limit },
    },
  );
}

/** An object placed for a commit: its key, and whether this attempt wrote it (and may delete it). */
export interface PlacedState {
  ref: string;
  written: boolean;
}

/**
 * Writes a state too large for the record as an object, before the commit that will point at it
 * (so a crash leaves at most an orphan, never a pointer to nothing). An unchanged state keeps the
 * object the loaded record points at.
 */
export async function placeStateObject(
  blobs: StateBlobStore,
  commit: TurnCommit,
  stateJson: string,
  /** `stateJson` gzipped, when the caller already has it. */
  packed?: Uint8Array,
): Promise<PlacedState> {
  const actorId = commit.lease.actorId;
  const sha256 = await sha256Hex(stateJson);
  const loaded = commit.loadedStateRef ? parseStateObjectKey(commit.loadedStateRef) : undefined;
  if (commit.loadedStateRef && loaded?.actorId === actorId && loaded.sha256 === sha256) {
    return { ref: commit.loadedStateRef, written: false };
  }
  const ref = stateObjectKey({ actorId, version: commit.version, epoch: commit.lease.epoch, sha256 });
  await blobs.put(ref, packed ?? (await gzipAsync(stateJson)));
  return { ref, written: true };
}

/**
 * After a commit that replaced the loaded record's object: no version points at it any more (a
 * reader that still wanted it reads the record again). A failure here is the sweep's to finish.
 */
export async function releaseReplaced(
  blobs: StateBlobStore | undefined,
  commit: TurnCommit,
  ref: string | undefined,
): Promise<void> {
  if (!blobs || !commit.loadedStateRef || commit.loadedStateRef === ref) return;
  await blobs.delete([commit.loadedStateRef]).catch(() => undefined);
}

/** After a commit refused with nothing written: the object it wrote will never be referenced. */
export async function releaseRefused(
  blobs: StateBlobStore | undefined,
  placed: PlacedState | undefined,
  error: unknown,
): Promise<void> {
  const refused =
    error instanceof VersionConflictError ||
    error instanceof LeaseLostError ||
    error instanceof StoreBusyError ||
    error instanceof StateTooLargeError;
  // An ambiguous failure (the store did not answer) may have committed: its object stays.
  if (blobs && placed?.written && refused) await blobs.delete([placed.ref]).catch(() => undefined);
}

/** Thrown by readStateObject when the object is gone: the record moved on meanwhile, so read it again. */
export class StateObjectMissingError extends StoreUnavailableError {}

/** The state an object holds, checked against the hash in its key. */
export async function readStateObject(blobs: StateBlobStore, ref: string): Promise<JsonValue> {
  const body = await blobs.get(ref);
  if (body === null) {
    throw new StateObjectMissingError(`the state object ${ref} does not exist`, { details: { ref } });
  }
  const text = (await gunzipAsync(body)).toString("utf8");
  if ((await sha256Hex(text)) !== parseStateObjectKey(ref)?.sha256) {
    throw new StoreUnavailableError(`the state object ${ref} does not match its hash`, {
      hint: "the object was changed outside durable; restore it from a backup",
      details: { ref },
    });
  }
  return JSON.parse(text) as JsonValue;
}

/**
 * Reads a record whose state may be an object. A reader that saw version v while v+1 committed and
 * deleted v's object finds it gone: it reads the record again (bounded), then gives up.
 */
export async function withStateObjectRetry<T>(read: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (!(error instanceof StateObjectMissingError) || attempt >= attempts) throw error;
    }
  }
}

/** What a sweep needs of the actor records: an actor's version and the object its record points at. */
export type RecordRef = (
  actorId: string,
) => Promise<{ version: number; stateRef: string | undefined } | null>;

/**
 * One pass of the orphan sweep over at most `limit` objects, continuing where the last pass
 * stopped. An object is deleted when its record points elsewhere and either has committed its
 * version or beyond (nothing can point at it again) or it is older than `before` (the commit that
 * wrote it could no longer land: its lease is long gone).
 */
export async function sweepStateObjects(
  blobs: StateBlobStore,
  recordRef: RecordRef,
  before: number,
  limit: number,
): Promise<{ checked: number; deleted: number }> {
  const after = await blobs.readCursor();
  const listed = await blobs.list(after, limit);
  const byActor = new Map<string, { key: string; version: number; writtenAt: number }[]>();
  for (const { key, writtenAt } of listed) {
    const parsed = parseStateObjectKey(key);
    if (!parsed) continue;
    const list = byActor.get(parsed.actorId) ?? [];
    list.push({ key, version: parsed.version, writtenAt });
    byActor.set(parsed.actorId, list);
  }
  const dead: string[] = [];
  for (const [actorId, objects] of byActor) {
    const record = await recordRef(actorId);
    for (const o of objects) {
      if (o.key === record?.stateRef) continue;
      if ((record && record.version >= o.version) || o.writtenAt < before) dead.push(o.key);
    }
  }
  if (dead.length > 0) await blobs.delete(dead);
  // A short page means the end: the next pass starts over from the first key.
  await blobs.writeCursor(listed.length < limit ? undefined : listed[listed.length - 1]?.key);
  return { checked: listed.length, deleted: dead.length };
}
