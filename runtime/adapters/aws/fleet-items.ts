import { createHash } from "node:crypto";
import type { TurnCommit } from "../../ports/actor-store.ts";
import type { TimerRecord } from "../../ports/messages.ts";
import { TABLES } from "./config.ts";
import { type Item, num, str } from "./json-attributes.ts";

const FLEET = TABLES.state.fleetIndex;

/** Plain attributes of the state item a fleet listing reads back (besides actorType, version, updatedAt). */
export const FLEET_ATTRS = { nextTimerAt: "nextTimerAt" } as const;

/** The first character of a fleet key: parked actors sort before the others. */
const PARKED = "P";
const NOT_PARKED = "R";
/** Buckets are counted down from here, so that ascending keys list the most recent bucket first. */
const BUCKET_TOP = 99_999_999;

/**
 * The fleet attributes of a committed state item: its fleet index keys and its next timer. The item
 * is written by every commit anyway, so keeping them costs no request; DynamoDB rewrites the
 * keys-only index entry only when a key changes (first commit, an hour bucket passed, park/unpark).
 */
export function fleetAttributes(
  actorId: string,
  commit: Pick<TurnCommit, "actorType" | "parked" | "timers" | "now">,
): Item {
  const item: Item = {
    [FLEET.partitionKey]: str(fleetShard(actorId)),
    [FLEET.sortKey]: str(fleetKey(commit.parked !== null, commit.actorType, commit.now, actorId)),
  };
  const next = nextTimerAt(commit.timers);
  if (next !== null) item[FLEET_ATTRS.nextTimerAt] = num(next);
  return item;
}

/** The index shard of an actor: a hash of its id, so every type spreads over all shards. */
export function fleetShard(actorId: string): string {
  return fleetShardName(createHash("sha256").update(actorId).digest().readUInt32BE(0) % FLEET.shards);
}

export function fleetShardName(index: number): string {
  return `f${index.toString(16)}`;
}

/**
 * `<P|R>#<type>#<hour bucket, counted down>#<actor id>`: ascending order is parked first, then by
 * type, most recently active first, then by id. Types are lowercase letters, digits and "-", ids
 * never contain "#", so a prefix `P#counter#` selects exactly the parked counters.
 */
export function fleetKey(parked: boolean, actorType: string, at: number, actorId: string): string {
  const bucket = BUCKET_TOP - Math.floor(at / FLEET.bucketMs);
  return `${fleetKeyPrefix(parked, actorType)}${String(bucket).padStart(8, "0")}#${actorId}`;
}

/** The key prefix that selects parked (or not parked) actors, of one type when given. */
export function fleetKeyPrefix(parked: boolean, actorType?: string): string {
  const flag = parked ? PARKED : NOT_PARKED;
  return actorType === undefined ? `${flag}#` : `${flag}#${actorType}#`;
}

/** The actor id a fleet key ends with. */
export function actorOfFleetKey(key: string): string {
  return key.slice(key.lastIndexOf("#") + 1);
}

export function nextTimerAt(timers: Record<string, TimerRecord>): number | null {
  let next: number | null = null;
  for (const timer of Object.values(timers)) if (next === null || timer.at < next) next = timer.at;
  return next;
}
