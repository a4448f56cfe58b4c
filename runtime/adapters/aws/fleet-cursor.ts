import { InvalidInputError } from "../../core/errors.ts";
import type { FleetQuery } from "../../ports/fleet-index.ts";
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

interface CursorBody {
  v: 1;
  /** The filters the cursor was made for: type, parked, id prefix. */
  q: [string | null, boolean, string | null];
  p: Record<string, string | null>;
}

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

function filters(query: FleetQuery): CursorBody["q"] {
  return [query.actorType ?? null, query.parked === true, query.idPrefix || null];
}

export function encodeFleetCursor(query: FleetQuery, positions: FleetPositions): string {
  const body: CursorBody = { v: 1, q: filters(query), p: Object.fromEntries(positions) };
  return Buffer.from(JSON.stringify(body)).toString("base64url");
}

/** The positions a cursor carries; a cursor of other filters, or not one of ours, is refused. */
export function decodeFleetCursor(query: FleetQuery, streams: readonly FleetStream[]): FleetPositions {
  const positions: FleetPositions = new Map();
  if (query.cursor === undefined) return positions;
  let body: CursorBody | undefined;
  try {
    body = JSON.parse(Buffer.from(query.cursor, "base64url").toString("utf8")) as CursorBody;
  } catch {}
  const ids = new Set(streams.map((s) => s.id));
  const valid =
    body?.v === 1 &&
    typeof body.p === "object" &&
    body.p !== null &&
    Object.entries(body.p).every(([id, at]) => ids.has(id) && (at === null || typeof at === "string"));
  if (!valid || !body) {
    throw new InvalidInputError("the cursor is not one a fleet listing returned", {
      hint: "pass the `next` value of the previous page unchanged, or leave the cursor out to start over",
    });
  }
  if (JSON.stringify(body.q) !== JSON.stringify(filters(query))) {
    throw new InvalidInputError("the cursor belongs to a listing with other filters", {
      hint: "keep the type, parked and prefix filters of the first page, or leave the cursor out to start over",
    });
  }
  for (const [id, at] of Object.entries(body.p)) positions.set(id, at);
  return positions;
}
