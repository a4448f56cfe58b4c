import { emptyActorRecord } from "../../core/actor-record.ts";
import { StoreUnavailableError } from "../../core/errors.ts";
import { utf8ByteLength } from "../../core/json.ts";
import { LIMITS } from "../../core/limits.ts";
import type {
  ActorRecord,
  ActorStore,
  ActorStoreLimits,
  BlobSweep,
  Lease,
  LoadedActor,
  ProcessedMarker,
  StrandedActor,
  TurnCommit,
  WaitingPage,
} from "../../ports/actor-store.ts";
import type { ActorMessage, HeldMessage } from "../../ports/messages.ts";
import type { StateBlobStore } from "../../ports/state-blobs.ts";
import {
  assertStateWithin,
  type PlacedState,
  placeStateObject,
  readStateObject,
  releaseRefused,
  releaseReplaced,
  sweepStateObjects,
  withStateObjectRetry,
} from "../shared/state-objects.ts";
import {
  type ActorSchemaRow,
  type ActorSummary,
  type HistoryEntry,
  type HistoryQuery,
  listActors,
  readHistory,
  readVersions,
  scanSchemas,
} from "./actor-history.ts";
import { ACTOR_COLUMNS, type ActorRow, type MarkerRow, toMarker, toRecord } from "./actor-rows.ts";
import { assertStateSize, decode, fitsInline, RETENTION_MS } from "./codec.ts";
import { appendHistory, writeMarkers, writeRecord, writeWaiting } from "./commit-rows.ts";
import type { LocalDb } from "./database.ts";
import {
  acquireLeaseRow,
  assertLeaseCurrent,
  keepLeaseForGrace,
  releaseLeaseRow,
  renewLeaseRow,
} from "./lease-rows.ts";

export interface LocalActorStoreOptions {
  maxStateBytes?: number;
  /** How long a processed marker answers redeliveries; at least the queue's retention. */
  markerTtlMs?: number;
  /** Versions of history kept per actor (older ones are pruned as new ones arrive). */
  historyLimit?: number;
  /**
   * Where states too large for a row go (the blobs table, as S3 on AWS), up to LIMITS.stateBytes.
   * Without it a state is refused above LIMITS.inlineStateBytes, like a fabric without a bucket.
   */
  blobs?: StateBlobStore;
}

/** Expired markers are swept on every Nth commit: often enough to stay small, rare enough to cost nothing. */
const PRUNE_EVERY = 128;

/**
 * ActorStore on SQLite. Leases, the version check and every effect of a turn are decided inside one
 * `BEGIN IMMEDIATE` transaction, so a paused or fenced holder in any process can never write.
 */
export class LocalActorStore implements ActorStore {
  readonly limits: ActorStoreLimits;
  private readonly markerTtlMs: number;
  private readonly historyLimit: number;
  private readonly blobs: StateBlobStore | undefined;
  private readonly inlineLimit: number;
  private commits = 0;

  constructor(
    private readonly db: LocalDb,
    options: LocalActorStoreOptions = {},
  ) {
    this.blobs = options.blobs;
    this.limits = {
      maxStateBytes: options.maxStateBytes ?? (this.blobs ? LIMITS.stateBytes : LIMITS.inlineStateBytes),
      maxHeldBytesPerCommit: LIMITS.heldBytesPerTurn,
    };
    this.inlineLimit = Math.min(this.limits.maxStateBytes, LIMITS.inlineStateBytes);
    this.markerTtlMs = Math.max(options.markerTtlMs ?? RETENTION_MS, RETENTION_MS);
    this.historyLimit = options.historyLimit ?? 1000;
  }

  async acquireLease(actorId: string, owner: string, ttlMs: number, now: number): Promise<Lease> {
    return acquireLeaseRow(this.db, actorId, owner, ttlMs, now);
  }

  async renewLease(lease: Lease, ttlMs: number, now: number): Promise<Lease> {
    return renewLeaseRow(this.db, lease, ttlMs, now);
  }

  async load(actorId: string, messageIds: readonly string[]): Promise<LoadedActor> {
    return withStateObjectRetry(async () => {
      const { row, processed } = this.readRowAndMarkers(actorId, messageIds);
      return { record: row ? await this.recordOf(row) : emptyActorRecord(actorId), processed };
    });
  }

  private readRowAndMarkers(
    actorId: string,
    messageIds: readonly string[],
  ): { row: ActorRow | null; processed: Map<string, ProcessedMarker> } {
    return this.db.read(() => {
      const row = this.actorRow(actorId);
      const processed = new Map<string, ProcessedMarker>();
      if (messageIds.length > 0) {
        const markers = this.db.sqlite
          .query<MarkerRow, { actorId: string; ids: string }>(
            `SELECT message_id, version, result, error FROM markers
             WHERE actor_id = $actorId AND message_id IN (SELECT value FROM json_each($ids))`,
          )
          .all({ actorId, ids: JSON.stringify(messageIds) });
        for (const marker of markers) processed.set(marker.message_id, toMarker(marker));
      }
      return { row, processed };
    });
  }

  /** A row's record, with its state read from the blobs table when it is kept there. */
  private async recordOf(row: ActorRow): Promise<ActorRecord> {
    if (row.state_ref === null) return toRecord(row);
    if (!this.blobs) {
      throw new StoreUnavailableError(`the state of ${row.actor_id} is a large-state object`, {
        hint: "open the local fabric with large states on (openLocalPorts({ largeState: true }))",
      });
    }
    return toRecord(row, await readStateObject(this.blobs, row.state_ref));
  }

  async loadWaiting(actorId: string, limit: number): Promise<WaitingPage> {
    const rows = this.db.sqlite
      .query<{ position: string; body: string }, { actorId: string; limit: number }>(
        "SELECT position, body FROM waiting WHERE actor_id = $actorId ORDER BY position LIMIT $limit",
      )
      .all({ actorId, limit: Math.max(0, limit) + 1 });
    const held: HeldMessage[] = rows
      .slice(0, Math.max(0, limit))
      .map((row) => ({ position: row.position, message: decode<ActorMessage>(row.body) }));
    return { held, complete: rows.length <= held.length };
  }

  async commit(commit: TurnCommit): Promise<void> {
    const { lease, now } = commit;
    const stateJson = JSON.stringify(commit.state);
    // Before the transaction: an oversized state must not even take the write lock, and a large
    // one is written as an object first, so a crash leaves an orphan rather than a dangling pointer.
    const placed = await this.placeState(commit, stateJson);
    try {
      this.db.write(() => {
        assertLeaseCurrent(this.db, lease, now);
        writeRecord(this.db, commit, placed ? "null" : stateJson, placed?.ref ?? null);
        writeMarkers(this.db, commit, this.markerTtlMs);
        writeWaiting(this.db, commit);
        appendHistory(
          this.db,
          commit,
          placed ? largeStateSummary(placed.ref, stateJson) : stateJson,
          this.historyLimit,
        );
        if (commit.release && commit.graceUntil !== undefined)
          keepLeaseForGrace(this.db, lease, commit.graceUntil);
        else if (commit.release) releaseLeaseRow(this.db, lease);
        if (++this.commits % PRUNE_EVERY === 0) {
          this.db.sqlite.query("DELETE FROM markers WHERE expires_at < $now").run({ now });
        }
      });
    } catch (error) {
      await releaseRefused(this.blobs, placed, error);
      throw error;
    }
    await releaseReplaced(this.blobs, commit, placed?.ref);
  }

  private async placeState(commit: TurnCommit, stateJson: string): Promise<PlacedState | undefined> {
    if (!this.blobs) {
      assertStateSize(commit.lease.actorId, stateJson, this.inlineLimit);
      return undefined;
    }
    assertStateWithin(commit.lease.actorId, stateJson, this.limits.maxStateBytes);
    if (fitsInline(stateJson, this.inlineLimit)) return undefined;
    return placeStateObject(this.blobs, commit, stateJson);
  }

  async releaseLease(lease: Lease): Promise<void> {
    this.db.write(() => releaseLeaseRow(this.db, lease));
  }

  async clearOutbox(actorId: string, version: number): Promise<void> {
    this.db.write(() => {
      this.db.sqlite
        .query("UPDATE actors SET outbox = '[]' WHERE actor_id = $actorId AND version = $version")
        .run({ actorId, version });
    });
  }

  async read(actorId: string): Promise<ActorRecord | null> {
    return withStateObjectRetry(async () => {
      const row = this.actorRow(actorId);
      return row ? this.recordOf(row) : null;
    });
  }

  async listStranded(before: number, limit: number): Promise<StrandedActor[]> {
    return this.db.sqlite
      .query<{ actor_id: string; actor_type: string | null }, { before: number; limit: number }>(
        `SELECT actor_id, actor_type FROM actors
         WHERE (outbox != '[]' OR (parked IS NULL AND waiting_count > 0)) AND updated_at <= $before
         ORDER BY updated_at LIMIT $limit`,
      )
      .all({ before, limit: Math.max(0, limit) })
      .flatMap((row) => (row.actor_type ? [{ actorId: row.actor_id, actorType: row.actor_type }] : []));
  }

  async sweepBlobs(before: number, limit: number): Promise<BlobSweep> {
    if (!this.blobs) return { checked: 0, deleted: 0 };
    return sweepStateObjects(
      this.blobs,
      async (actorId) => {
        const row = this.db.sqlite
          .query<{ version: number; state_ref: string | null }, { actorId: string }>(
            "SELECT version, state_ref FROM actors WHERE actor_id = $actorId",
          )
          .get({ actorId });
        return row ? { version: row.version, stateRef: row.state_ref ?? undefined } : null;
      },
      before,
      limit,
    );
  }

  /** Actors after `after` in id order with their stored schema (what `durable migrate` pages through). */
  async scanSchemas(after: string | undefined, limit: number): Promise<ActorSchemaRow[]> {
    return scanSchemas(this.db, after, limit);
  }

  /** Every actor ever committed, by id (`durable dev`'s actor list). */
  async listActors(options: { actorType?: string; limit?: number } = {}): Promise<ActorSummary[]> {
    return listActors(this.db, options);
  }

  /**
   * Committed versions in commit order after `afterSeq`. A follower that passes the last `seq` it
   * saw back in sees every version exactly once (`durable state tail`, the dev server's stream).
   */
  async history(query: HistoryQuery = {}): Promise<HistoryEntry[]> {
    return readHistory(this.db, query);
  }

  /** One actor's kept versions, newest first, below `beforeVersion` when given (the inspector). */
  async versions(
    actorId: string,
    options: { beforeVersion?: number; limit: number },
  ): Promise<HistoryEntry[]> {
    return readVersions(this.db, actorId, options);
  }

  /** The newest history sequence (0 when nothing was committed): where a new follower starts. */
  async latestSeq(): Promise<number> {
    const row = this.db.sqlite.query<{ seq: number | null }, []>("SELECT MAX(seq) AS seq FROM history").get();
    return row?.seq ?? 0;
  }

  private actorRow(actorId: string): ActorRow | null {
    return this.db.sqlite
      .query<ActorRow, { actorId: string }>(`SELECT ${ACTOR_COLUMNS} FROM actors WHERE actor_id = $actorId`)
      .get({ actorId });
  }
}

/**
 * What history keeps of a version whose state is an object: its size and where it is, not the
 * state itself (a thousand versions of a 10 MB state would not fit a developer's disk).
 */
function largeStateSummary(ref: string, stateJson: string): string {
  return JSON.stringify({ $stateObject: ref, bytes: utf8ByteLength(stateJson) });
}
