import {
  decodeFleetCursor,
  encodeFleetCursor,
  FLEET_PAGE_MAX,
  type FleetEntry,
  type FleetIndex,
  type FleetPage,
  type FleetQuery,
} from "../../ports/fleet-index.ts";
import type { LocalDb } from "./database.ts";

interface FleetRow {
  actor_id: string;
  actor_type: string | null;
  version: number;
  updated_at: number;
  parked: number;
  next_timer_at: number | null;
  waiting_count: number;
  fleet_key: string;
}

/**
 * The local fabric's fleet listing: keyset pages over the `fleet_key` index (schema.ts), so a
 * page costs the same at 100,000 actors as at ten. Same order and filters as the AWS fleet index.
 */
export class LocalFleetIndex implements FleetIndex {
  readonly #db: LocalDb;

  constructor(db: LocalDb) {
    this.#db = db;
  }

  async list(query: FleetQuery): Promise<FleetPage> {
    const limit = Math.min(Math.max(1, Math.floor(query.limit)), FLEET_PAGE_MAX);
    const where = ["fleet_key > $after"];
    const params: Record<string, string | number> = {
      // The cursor is the fleet key of the last actor returned.
      after: decodeFleetCursor(query, (at): at is string => typeof at === "string") ?? "",
      limit: limit + 1,
    };
    if (query.parked) {
      // Keys of parked actors start with "P#" (and "P#<type>#"): a range of the fleet index.
      const prefix = query.actorType === undefined ? "P#" : `P#${query.actorType}#`;
      where.push("fleet_key >= $low AND fleet_key < $high");
      params.low = prefix;
      params.high = `${prefix.slice(0, -1)}$`;
    } else if (query.actorType !== undefined) {
      where.push("actor_type = $type");
      params.type = query.actorType;
    }
    if (query.idPrefix) {
      where.push("substr(actor_id, 1, length($idPrefix)) = $idPrefix");
      params.idPrefix = query.idPrefix;
    }
    const rows = this.#db.sqlite
      .query<FleetRow, Record<string, string | number>>(
        `SELECT actor_id, actor_type, version, updated_at, parked IS NOT NULL AS parked, waiting_count, fleet_key,
           (SELECT MIN(json_extract(t.value, '$.at')) FROM json_each(actors.timers) AS t) AS next_timer_at
         FROM actors WHERE ${where.join(" AND ")} ORDER BY fleet_key LIMIT $limit`,
      )
      .all(params);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      actors: page.map(toEntry),
      next: rows.length > limit && last ? encodeFleetCursor(query, last.fleet_key) : null,
    };
  }
}

function toEntry(row: FleetRow): FleetEntry {
  return {
    actorId: row.actor_id,
    actorType: row.actor_type,
    version: row.version,
    updatedAt: row.updated_at,
    parked: row.parked === 1,
    nextTimerAt: row.next_timer_at,
    waiting: row.waiting_count,
  };
}
