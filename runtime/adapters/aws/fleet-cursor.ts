import { decodeFleetCursor, encodeFleetCursor, type FleetQuery } from "../../ports/fleet-index.ts";
import { TABLES } from "./config.ts";
import { fleetKeyPrefix } from "./fleet-items.ts";

/** One ordered run of index keys: a shard, narrowed to a key prefix ("" for all of it). */
export interface FleetStream {
  id: string;
  shard: number;
  prefix: string;
}

/**
 * Where each stream stands: the last key already returned (the next page starts after it), null
 * once the stream is exhausted, absent before it was first read.
 */
export type FleetPositions = Map<string, string | null>;

/** The streams a query reads: every shard, once per key prefix the filters select. */
export function fleetStreams(query: FleetQuery): FleetStream[] {
  const type = query.actorType;
  const prefixes = query.parked
    ? [fleetKeyPrefix(true, type)]
    : type === undefined
      ? [""]
      : [fleetKeyPrefix(true, type), fleetKeyPrefix(false, type)];
  const streams: FleetStream[] = [];
  for (let shard = 0; shard < TABLES.state.fleetIndex.shards; shard++) {
    prefixes.forEach((prefix, i) => {
      streams.push({ id: `${shard.toString(16)}${i}`, shard, prefix });
    });
  }
  return streams;
}

/** The positions a cursor carries (empty for the first page). */
export function fleetPositions(query: FleetQuery, streams: readonly FleetStream[]): FleetPositions {
  const ids = new Set(streams.map((s) => s.id));
  const valid = (at: unknown): at is Record<string, string | null> =>
    typeof at === "object" &&
    at !== null &&
    Object.entries(at).every(([id, key]) => ids.has(id) && (key === null || typeof key === "string"));
  return new Map(Object.entries(decodeFleetCursor(query, valid) ?? {}));
}

export function fleetCursor(query: FleetQuery, positions: FleetPositions): string {
  return encodeFleetCursor(query, Object.fromEntries(positions));
}
