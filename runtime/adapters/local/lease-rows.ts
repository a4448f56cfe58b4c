import { LeaseHeldError, LeaseLostError } from "../../core/errors.ts";
import type { Lease } from "../../ports/actor-store.ts";
import type { LeaseRow } from "./actor-rows.ts";
import type { LocalDb } from "./database.ts";

/*
 * Lease rows: one per actor, never deleted, so a released or expired lease keeps its epoch and the
 * next grant is always greater (fencing). Each function runs in, or is, one SQLite transaction.
 */

/** Free, expired, in a grace (which yields at once) or ours: take it with the next epoch. */
export function acquireLeaseRow(
  db: LocalDb,
  actorId: string,
  owner: string,
  ttlMs: number,
  now: number,
): Lease {
  return db.write(() => {
    const row = leaseRow(db, actorId);
    if (row && row.owner !== owner && row.expires_at > now && row.grace === 0) {
      throw new LeaseHeldError(`actor ${actorId} is busy: another turn holds its lease`, {
        hint: "wait for the turn to finish, or retry after the lease expires",
        details: { actorId, holder: row.owner, expiresAt: row.expires_at },
      });
    }
    const lease: Lease = { actorId, owner, epoch: (row?.epoch ?? 0) + 1, expiresAt: now + ttlMs };
    db.sqlite
      .query(
        `INSERT INTO leases (actor_id, owner, epoch, expires_at, grace) VALUES ($actorId, $owner, $epoch, $expiresAt, 0)
         ON CONFLICT (actor_id) DO UPDATE SET owner = excluded.owner, epoch = excluded.epoch,
           expires_at = excluded.expires_at, grace = 0`,
      )
      .run({ ...lease });
    return lease;
  });
}

/** Extends a lease this owner still holds (same owner and epoch). */
export function renewLeaseRow(db: LocalDb, lease: Lease, ttlMs: number, now: number): Lease {
  return db.write(() => {
    const expiresAt = now + ttlMs;
    const { changes } = db.sqlite
      .query(
        `UPDATE leases SET expires_at = $expiresAt, grace = 0
         WHERE actor_id = $actorId AND owner = $owner AND epoch = $epoch`,
      )
      .run({ actorId: lease.actorId, owner: lease.owner, epoch: lease.epoch, expiresAt });
    if (changes === 0) {
      throw new LeaseLostError(`the lease on ${lease.actorId} was taken over by a newer turn`, {
        hint: "the turn is retried with a fresh lease",
        details: { actorId: lease.actorId, epoch: lease.epoch },
      });
    }
    return { ...lease, expiresAt };
  });
}

export function leaseRow(db: LocalDb, actorId: string): LeaseRow | null {
  return db.sqlite
    .query<LeaseRow, { actorId: string }>(
      "SELECT owner, epoch, expires_at, grace FROM leases WHERE actor_id = $actorId",
    )
    .get({ actorId });
}

/** Inside a commit: the lease must still be this holder's, unexpired. */
export function assertLeaseCurrent(db: LocalDb, lease: Lease, now: number): void {
  const row = leaseRow(db, lease.actorId);
  const current = row !== null && row.owner === lease.owner && row.epoch === lease.epoch;
  if (current && row.expires_at > now) return;
  const why = current ? "expired before the commit" : "was taken over by a newer turn";
  throw new LeaseLostError(`the lease on ${lease.actorId} ${why}; nothing was written`, {
    hint: "the turn is retried with a fresh lease",
    details: { actorId: lease.actorId, epoch: lease.epoch, currentEpoch: row?.epoch ?? null },
  });
}

export function releaseLeaseRow(db: LocalDb, lease: Lease): void {
  db.sqlite
    .query(
      "UPDATE leases SET expires_at = 0, grace = 0 WHERE actor_id = $actorId AND owner = $owner AND epoch = $epoch",
    )
    .run({ actorId: lease.actorId, owner: lease.owner, epoch: lease.epoch });
}

/** The warm path: the holder keeps the lease until `until`, yielding at once to any other acquire. */
export function keepLeaseForGrace(db: LocalDb, lease: Lease, until: number): void {
  db.sqlite
    .query(
      "UPDATE leases SET expires_at = $until, grace = 1 WHERE actor_id = $actorId AND owner = $owner AND epoch = $epoch",
    )
    .run({ actorId: lease.actorId, owner: lease.owner, epoch: lease.epoch, until });
}
