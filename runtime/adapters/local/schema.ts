/**
 * The local fabric's tables, all in one SQLite file. `user_version` records the schema so a
 * later release can migrate a developer's existing `.durable/local.db` instead of failing on it.
 */
export const SCHEMA_VERSION = 7;

/**
 * The fleet order as one sortable key, the AWS fleet index's (fleet-items.ts) with the exact time
 * instead of an hour bucket: `<P|R>#<type>#<15-digit countdown of updated_at>#<actor id>`.
 */
const FLEET_KEY_SQL = `(CASE WHEN parked IS NULL THEN 'R' ELSE 'P' END) || '#' || COALESCE(actor_type, '') || '#' || printf('%015d', 999999999999999 - updated_at) || '#' || actor_id`;

export const SCHEMA_SQL = `
-- One row per actor, never deleted: a released or expired lease keeps its epoch so the next
-- grant is always greater (fencing against a paused holder). grace = 1: kept by a process after
-- its commit (the warm path), and yielded to any other acquire at once.
CREATE TABLE IF NOT EXISTS leases (
  actor_id   TEXT PRIMARY KEY,
  owner      TEXT NOT NULL,
  epoch      INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  grace      INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE IF NOT EXISTS actors (
  actor_id   TEXT PRIMARY KEY,
  actor_type TEXT,
  version    INTEGER NOT NULL,
  state      TEXT NOT NULL,
  timers     TEXT NOT NULL,
  parked     TEXT,
  outbox     TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  waiting       TEXT,
  waiting_count INTEGER NOT NULL DEFAULT 0,
  -- The schema of the state; NULL on rows written before schemas existed, which are schema 1.
  schema        INTEGER,
  -- Set when the state is too large for the row: the key of its row in blobs (state is then 'null').
  state_ref     TEXT,
  fleet_key     TEXT GENERATED ALWAYS AS (${FLEET_KEY_SQL}) VIRTUAL
) STRICT;
CREATE INDEX IF NOT EXISTS actors_parked ON actors (actor_id) WHERE parked IS NOT NULL;
-- The fleet listing (state list, the inspector): parked first, then by type, newest first, by id.
CREATE INDEX IF NOT EXISTS actors_fleet ON actors (fleet_key);
CREATE INDEX IF NOT EXISTS actors_fleet_type ON actors (actor_type, fleet_key);
-- What the sweeper looks for: an outbox a crash left unrelayed, or waiting messages ready to run.
CREATE INDEX IF NOT EXISTS actors_stranded ON actors (updated_at)
  WHERE outbox != '[]' OR (parked IS NULL AND waiting_count > 0);

-- Queued messages held for a parked actor, in delivery order (position = padded delivery sequence).
CREATE TABLE IF NOT EXISTS waiting (
  actor_id TEXT NOT NULL,
  position TEXT NOT NULL,
  body     TEXT NOT NULL,
  PRIMARY KEY (actor_id, position)
) STRICT;

-- States too large for a row, gzipped, written before the commit that points at them (like S3).
CREATE TABLE IF NOT EXISTS blobs (
  key        TEXT PRIMARY KEY,
  body       BLOB NOT NULL,
  written_at INTEGER NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS markers (
  actor_id   TEXT NOT NULL,
  message_id TEXT NOT NULL,
  version    INTEGER NOT NULL,
  result     TEXT,
  error      TEXT,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (actor_id, message_id)
) STRICT;
CREATE INDEX IF NOT EXISTS markers_expiry ON markers (expires_at);

-- AUTOINCREMENT so a sequence number is never reused after pruning: followers resume by seq.
CREATE TABLE IF NOT EXISTS history (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  actor_id   TEXT NOT NULL,
  actor_type TEXT,
  version    INTEGER NOT NULL,
  state      TEXT NOT NULL,
  at         INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS history_actor ON history (actor_id, version);

CREATE TABLE IF NOT EXISTS steps (
  actor_id   TEXT NOT NULL,
  run_id     TEXT NOT NULL,
  key        TEXT NOT NULL,
  result     TEXT NOT NULL,
  at         INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (actor_id, run_id, key)
) STRICT;
CREATE INDEX IF NOT EXISTS steps_expiry ON steps (expires_at);

CREATE TABLE IF NOT EXISTS messages (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT NOT NULL UNIQUE,
  actor_id      TEXT NOT NULL,
  body          TEXT NOT NULL,
  visible_at    INTEGER NOT NULL,
  receive_count INTEGER NOT NULL DEFAULT 0,
  receipt       TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS messages_group ON messages (actor_id, visible_at);
CREATE INDEX IF NOT EXISTS messages_visible ON messages (visible_at);
CREATE INDEX IF NOT EXISTS messages_receives ON messages (receive_count);

-- Outlives the message itself: a resend of an id already handled is dropped for the whole retention.
CREATE TABLE IF NOT EXISTS message_ids (
  id         TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS message_ids_expiry ON message_ids (expires_at);

CREATE TABLE IF NOT EXISTS dead_letters (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  actor_id      TEXT NOT NULL,
  body          TEXT NOT NULL,
  receive_count INTEGER NOT NULL,
  reason        TEXT NOT NULL,
  at            INTEGER NOT NULL,
  message_id    TEXT,
  letter_id     TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS dead_letters_actor ON dead_letters (actor_id, seq);
-- A park's dead letter is relayed from an outbox, possibly more than once: kept once per letter
-- (the same message dead-lettered again after a redrive is a new letter).
DROP INDEX IF EXISTS dead_letters_message;
CREATE UNIQUE INDEX IF NOT EXISTS dead_letters_letter ON dead_letters (letter_id) WHERE letter_id IS NOT NULL;

-- One row per timer id, never per name: relays of consecutive turns can land in any order, and a
-- late one keyed by name would overwrite the timer that replaced it (the turn filters stale fires).
CREATE TABLE IF NOT EXISTS timers (
  actor_id   TEXT NOT NULL,
  timer_id   TEXT NOT NULL,
  name       TEXT NOT NULL,
  actor_type TEXT NOT NULL,
  at         INTEGER NOT NULL,
  PRIMARY KEY (actor_id, timer_id)
) STRICT;
CREATE INDEX IF NOT EXISTS timers_due ON timers (at);

CREATE TABLE IF NOT EXISTS signals (
  seq    INTEGER PRIMARY KEY AUTOINCREMENT,
  id     TEXT NOT NULL UNIQUE,
  source TEXT NOT NULL,
  type   TEXT NOT NULL,
  detail TEXT NOT NULL,
  at     INTEGER NOT NULL
) STRICT;
`;

/**
 * Schema 1 keyed timers by (actor_id, name). SQLite cannot change a primary key in place, so the
 * table is rebuilt with its rows copied: dropping them instead would lose every pending timer, since
 * the actor records still hold those ids and no outbox is left to schedule them again. SCHEMA_SQL
 * recreates the `timers_due` index afterwards (DROP TABLE took the old one with it).
 */
export const TIMERS_BY_ID_MIGRATION = `
CREATE TABLE timers_by_id (
  actor_id   TEXT NOT NULL,
  timer_id   TEXT NOT NULL,
  name       TEXT NOT NULL,
  actor_type TEXT NOT NULL,
  at         INTEGER NOT NULL,
  PRIMARY KEY (actor_id, timer_id)
) STRICT;
INSERT OR IGNORE INTO timers_by_id (actor_id, timer_id, name, actor_type, at)
  SELECT actor_id, timer_id, name, actor_type, at FROM timers;
DROP TABLE timers;
ALTER TABLE timers_by_id RENAME TO timers;
`;

/** Columns schemas 3 to 7 added to tables of older files (CREATE TABLE IF NOT EXISTS leaves those as they were). */
export const ADDED_COLUMNS: readonly { table: string; column: string; definition: string }[] = [
  { table: "leases", column: "grace", definition: "INTEGER NOT NULL DEFAULT 0" },
  { table: "actors", column: "waiting", definition: "TEXT" },
  { table: "actors", column: "waiting_count", definition: "INTEGER NOT NULL DEFAULT 0" },
  { table: "dead_letters", column: "message_id", definition: "TEXT" },
  { table: "dead_letters", column: "letter_id", definition: "TEXT" },
  { table: "actors", column: "schema", definition: "INTEGER" },
  { table: "actors", column: "state_ref", definition: "TEXT" },
  // Virtual: computed from the row on read, so rows of an older file need no backfill.
  { table: "actors", column: "fleet_key", definition: `TEXT GENERATED ALWAYS AS (${FLEET_KEY_SQL}) VIRTUAL` },
];
