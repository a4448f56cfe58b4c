import type { JsonValue } from "../../core/json.ts";
import { decode } from "./codec.ts";
import type { LocalDb } from "./database.ts";

export interface ActorSummary {
  actorId: string;
  actorType: string | null;
  version: number;
  updatedAt: number;
}

/** One actor as `durable migrate` sees it: its type, version and stored schema. */
export interface ActorSchemaRow {
  actorId: string;
  actorType: string | null;
  version: number;
  schema: number;
}

/** Actors after `after` in id order, at most `limit` (a page of `durable migrate`'s scan). */
export function scanSchemas(db: LocalDb, after: string | undefined, limit: number): ActorSchemaRow[] {
  return db.sqlite
    .query<
      { actor_id: string; actor_type: string | null; version: number; schema: number | null },
      { after: string; limit: number }
    >(
      `SELECT actor_id, actor_type, version, schema FROM actors WHERE actor_id > $after
       ORDER BY actor_id LIMIT $limit`,
    )
    .all({ after: after ?? "", limit: Math.max(0, limit) })
    .map((row) => ({
      actorId: row.actor_id,
      actorType: row.actor_type,
      version: row.version,
      schema: row.schema ?? 1,
    }));
}

/** One committed version of one actor, numbered in global commit order. */
export interface HistoryEntry {
  seq: number;
  actorId: string;
  actorType: string | null;
  version: number;
  state: JsonValue;
  at: number;
}

export interface HistoryQuery {
  /** Only this actor's versions; all actors when absent. */
  actorId?: string;
  /** Entries with a greater sequence (exclusive); 0 or absent = from the oldest kept. */
  afterSeq?: number;
  /** At most this many entries (default 500); page by passing the last seq back. */
  limit?: number;
}

interface HistoryRow {
  seq: number;
  actor_id: string;
  actor_type: string | null;
  version: number;
  state: string;
  at: number;
}

interface SummaryRow {
  actor_id: string;
  actor_type: string | null;
  version: number;
  updated_at: number;
}

export function listActors(db: LocalDb, options: { actorType?: string; limit?: number }): ActorSummary[] {
  const rows = db.sqlite
    .query<SummaryRow, { actorType: string | null; limit: number }>(
      `SELECT actor_id, actor_type, version, updated_at FROM actors
       WHERE $actorType IS NULL OR actor_type = $actorType ORDER BY actor_id LIMIT $limit`,
    )
    .all({ actorType: options.actorType ?? null, limit: options.limit ?? -1 });
  return rows.map((row) => ({
    actorId: row.actor_id,
    actorType: row.actor_type,
    version: row.version,
    updatedAt: row.updated_at,
  }));
}

/**
 * Sequences are assigned inside the commit's write transaction and SQLite has one writer at a
 * time, so a row with a smaller seq is always visible before one with a larger seq: reading
 * "after the last seq I saw" can never skip a version that commits later with a smaller number.
 */
export function readHistory(db: LocalDb, query: HistoryQuery): HistoryEntry[] {
  const params = { afterSeq: query.afterSeq ?? 0, limit: query.limit ?? 500 };
  const rows =
    query.actorId === undefined
      ? db.sqlite
          .query<HistoryRow, typeof params>(
            "SELECT seq, actor_id, actor_type, version, state, at FROM history WHERE seq > $afterSeq ORDER BY seq LIMIT $limit",
          )
          .all(params)
      : db.sqlite
          .query<HistoryRow, typeof params & { actorId: string }>(
            `SELECT seq, actor_id, actor_type, version, state, at FROM history
             WHERE actor_id = $actorId AND seq > $afterSeq ORDER BY seq LIMIT $limit`,
          )
          .all({ ...params, actorId: query.actorId });
  return rows.map(toEntry);
}

/**
 * One actor's kept versions, newest first, below `beforeVersion` when given: the inspector's
 * version history (a page of them, then the next page below the oldest one shown).
 */
export function readVersions(
  db: LocalDb,
  actorId: string,
  options: { beforeVersion?: number | undefined; limit: number },
): HistoryEntry[] {
  const rows = db.sqlite
    .query<HistoryRow, { actorId: string; before: number; limit: number }>(
      `SELECT seq, actor_id, actor_type, version, state, at FROM history
       WHERE actor_id = $actorId AND version < $before ORDER BY version DESC LIMIT $limit`,
    )
    .all({ actorId, before: options.beforeVersion ?? Number.MAX_SAFE_INTEGER, limit: options.limit });
  return rows.map(toEntry);
}

function toEntry(row: HistoryRow): HistoryEntry {
  return {
    seq: row.seq,
    actorId: row.actor_id,
    actorType: row.actor_type,
    version: row.version,
    state: decode<JsonValue>(row.state),
    at: row.at,
  };
}
