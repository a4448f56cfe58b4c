import { VersionConflictError } from "../../core/errors.ts";
import type { TurnCommit } from "../../ports/actor-store.ts";
import { ACTOR_COLUMNS } from "./actor-rows.ts";
import { encodeOptional } from "./codec.ts";
import type { LocalDb } from "./database.ts";

/*
 * The rows one local commit writes, inside the store's `BEGIN IMMEDIATE` transaction (the caller
 * has checked the lease): the actor row (conditional on the version), processed markers
 * (conditional on their absence), the waiting list and the version history.
 */

export function writeRecord(
  db: LocalDb,
  commit: TurnCommit,
  stateJson: string,
  stateRef: string | null,
): void {
  const actorId = commit.lease.actorId;
  const values = {
    actorId,
    actorType: commit.actorType,
    version: commit.version,
    expected: commit.expectedVersion,
    state: stateJson,
    timers: JSON.stringify(commit.timers),
    parked: commit.parked === null ? null : JSON.stringify(commit.parked),
    outbox: JSON.stringify(commit.outbox),
    now: commit.now,
    waiting: commit.waiting === null ? null : JSON.stringify(commit.waiting),
    waitingCount: commit.waiting?.count ?? 0,
    schema: commit.schema ?? 1,
    stateRef,
  };
  const sql =
    commit.expectedVersion === 0
      ? `INSERT INTO actors (${ACTOR_COLUMNS}, waiting_count)
         VALUES ($actorId, $actorType, $version, $state, $timers, $parked, $outbox, $now, $waiting,
           $schema, $stateRef, $waitingCount)
         ON CONFLICT (actor_id) DO NOTHING`
      : `UPDATE actors SET actor_type = $actorType, version = $version, state = $state, timers = $timers,
           parked = $parked, outbox = $outbox, updated_at = $now, waiting = $waiting,
           waiting_count = $waitingCount, schema = $schema, state_ref = $stateRef
         WHERE actor_id = $actorId AND version = $expected`;
  const changes = db.sqlite.query(sql).run(values).changes;
  // Same mapping as DynamoDB's ConditionalCheckFailedException: the version moved under us.
  if (changes === 0) {
    const actual =
      db.sqlite
        .query<{ version: number }, { actorId: string }>(
          "SELECT version FROM actors WHERE actor_id = $actorId",
        )
        .get({ actorId })?.version ?? 0;
    throw new VersionConflictError(
      `actor ${actorId} is at version ${actual}, not ${commit.expectedVersion}; nothing was written`,
      {
        hint: "the turn is retried on the new version",
        details: { actorId, expectedVersion: commit.expectedVersion, actualVersion: actual },
      },
    );
  }
}

/** A marker that exists (and has not expired) means an earlier turn applied the message: nothing may be written. */
export function writeMarkers(db: LocalDb, commit: TurnCommit, markerTtlMs: number): void {
  const insert = db.sqlite.query(
    `INSERT INTO markers (actor_id, message_id, version, result, error, expires_at)
     VALUES ($actorId, $messageId, $version, $result, $error, $expiresAt)
     ON CONFLICT (actor_id, message_id) DO UPDATE SET version = excluded.version, result = excluded.result,
       error = excluded.error, expires_at = excluded.expires_at
     WHERE markers.expires_at < $now`,
  );
  for (const marker of commit.markers) {
    const { changes } = insert.run({
      actorId: commit.lease.actorId,
      messageId: marker.messageId,
      version: marker.version,
      result: encodeOptional(marker.result),
      error: encodeOptional(marker.error),
      expiresAt: commit.now + markerTtlMs,
      now: commit.now,
    });
    if (changes === 0) {
      throw new VersionConflictError(
        `message ${marker.messageId} to ${commit.lease.actorId} was already processed; nothing was written`,
        {
          hint: "the turn is retried and answers from the recorded result",
          details: { actorId: commit.lease.actorId, messageId: marker.messageId },
        },
      );
    }
  }
}

export function writeWaiting(db: LocalDb, commit: TurnCommit): void {
  const actorId = commit.lease.actorId;
  if (commit.drained.length > 0) {
    const remove = db.sqlite.query("DELETE FROM waiting WHERE actor_id = $actorId AND position = $position");
    for (const held of commit.drained) remove.run({ actorId, position: held.position });
  }
  if (commit.hold.length > 0) {
    const insert = db.sqlite.query(
      `INSERT INTO waiting (actor_id, position, body) VALUES ($actorId, $position, $body)
       ON CONFLICT DO NOTHING`,
    );
    for (const held of commit.hold) {
      insert.run({ actorId, position: held.position, body: JSON.stringify(held.message) });
    }
  }
}

/** History keeps the newest `historyLimit` versions per actor. */
export function appendHistory(
  db: LocalDb,
  commit: TurnCommit,
  stateJson: string,
  historyLimit: number,
): void {
  const actorId = commit.lease.actorId;
  db.sqlite
    .query(
      `INSERT INTO history (actor_id, actor_type, version, state, at)
       VALUES ($actorId, $actorType, $version, $state, $now)`,
    )
    .run({
      actorId,
      actorType: commit.actorType,
      version: commit.version,
      state: stateJson,
      now: commit.now,
    });
  // An index range delete of usually one row keeps history bounded without a sweeper.
  db.sqlite
    .query("DELETE FROM history WHERE actor_id = $actorId AND version <= $cutoff")
    .run({ actorId, cutoff: commit.version - historyLimit });
}
