import type { HeldMessage, OutboxEntry, ParkedRecord, TimerRecord, WaitingSummary } from "./messages.ts";
import type { JsonValue, SerializedError } from "./values.ts";

/** A lease on one actor. `epoch` is strictly greater than every epoch granted before for that actor. */
export interface Lease {
  actorId: string;
  owner: string;
  epoch: number;
  expiresAt: number;
}

/** The committed record of one actor. A never-written actor is `version: 0, state: null`. */
export interface ActorRecord {
  actorId: string;
  actorType: string | null;
  version: number;
  state: JsonValue | null;
  timers: Record<string, TimerRecord>;
  parked: ParkedRecord | null;
  /** Effects committed by the last turn that may not have been relayed yet. */
  outbox: OutboxEntry[];
  /** Queued messages held in order while the actor was parked (null when none). */
  waiting: WaitingSummary | null;
  updatedAt: number;
  /** The schema of `state`; absent on a record written before schemas existed, which is schema 1. */
  schema?: number | undefined;
  /**
   * Where the store keeps a state too large for the record (an S3 key, a blob row): opaque to the
   * core, handed back in the next commit so an unchanged state is not written again.
   */
  stateRef?: string | undefined;
}

/** What a processed message left behind: its result, so a redelivery answers the same. */
export interface ProcessedMarker {
  messageId: string;
  version: number;
  result?: JsonValue | undefined;
  error?: SerializedError | undefined;
}

export interface LoadedActor {
  record: ActorRecord;
  processed: Map<string, ProcessedMarker>;
}

/** Everything one turn changes, written atomically. */
export interface TurnCommit {
  lease: Lease;
  actorType: string;
  /** The version the turn loaded; the write is conditional on it. */
  expectedVersion: number;
  version: number;
  state: JsonValue;
  timers: Record<string, TimerRecord>;
  parked: ParkedRecord | null;
  outbox: OutboxEntry[];
  markers: ProcessedMarker[];
  waiting: WaitingSummary | null;
  /** Messages to add to the waiting list (positions above every held one). */
  hold: HeldMessage[];
  /** Held messages this turn applied or dead-lettered: removed from the waiting list. */
  drained: HeldMessage[];
  /** Release the lease in the same write (the common case: one round trip for commit and release). */
  release: boolean;
  /**
   * With `release`: keep the lease for this process until then (epoch ms) instead of freeing it,
   * as a grace: the holder may run the actor's next turn on what it just committed, without
   * acquiring or loading. A lease in its grace yields at once to any other acquire (which fences
   * the holder out), so nobody ever waits for a grace.
   */
  graceUntil?: number | undefined;
  now: number;
  /** The schema of `state` (absent: 1). */
  schema?: number | undefined;
  /** The loaded record's `stateRef`: kept when the state did not change, let go once replaced. */
  loadedStateRef?: string | undefined;
}

export interface ActorStoreLimits {
  /**
   * Largest state (serialized JSON bytes). A state that does not fit the record inline (DynamoDB's
   * 400 KB item, after compression) goes to the store's large-state storage when it has one.
   */
  maxStateBytes: number;
  /** Most bytes of held messages one commit may add (the rest wait for a later delivery). */
  maxHeldBytesPerCommit: number;
}

/** The head of a waiting list. */
export interface WaitingPage {
  held: HeldMessage[];
  /** True when the list holds nothing after these. */
  complete: boolean;
}

/** An actor whose committed work is not finished: an unrelayed outbox, or waiting messages to apply. */
export interface StrandedActor {
  actorId: string;
  actorType: string;
}

/**
 * Storage for actor state, leases and processed-message markers.
 * Safety lives here: `commit` is conditional on the lease epoch and the version, so a holder
 * whose lease was taken over can never write.
 */
export interface ActorStore {
  readonly limits: ActorStoreLimits;
  /**
   * Takes the lease when it is free, expired, in a grace (see TurnCommit.graceUntil), or already
   * this owner's; the new epoch is greater than any before. Throws LeaseHeldError (with
   * `details.expiresAt`) when another owner holds it for a running turn.
   */
  acquireLease(actorId: string, owner: string, ttlMs: number, now: number): Promise<Lease>;
  /**
   * Extends a lease this owner still holds (same owner and epoch) to `now + ttlMs`, ending any
   * grace (a renewed lease belongs to a running turn again). Throws LeaseLostError when it was
   * taken over; a long turn renews so that it can still commit.
   */
  renewLease(lease: Lease, ttlMs: number, now: number): Promise<Lease>;
  /** A consistent read of the record and of the markers of the given message ids. */
  load(actorId: string, messageIds: readonly string[]): Promise<LoadedActor>;
  /**
   * Held messages of an actor from the head of its waiting list, in order (read under the turn's
   * lease): at most `limit`, fewer when the store's per-commit budget runs out first. `complete`
   * says nothing more is held after them.
   */
  loadWaiting(actorId: string, limit: number): Promise<WaitingPage>;
  /**
   * Writes the turn atomically. Throws LeaseLostError when the lease's epoch/owner is no longer
   * current, VersionConflictError when the version moved, StateTooLargeError before writing anything
   * when the state is over `limits.maxStateBytes`.
   */
  commit(commit: TurnCommit): Promise<void>;
  /** Releases a lease without committing; a lease already taken over is left alone. */
  releaseLease(lease: Lease): Promise<void>;
  /**
   * Drops relayed outbox entries, if the record is still at `version`. Best effort: an outbox left
   * behind is relayed again (every destination dedupes), so a failure here is not the caller's.
   */
  clearOutbox(actorId: string, version: number): Promise<void>;
  /** The committed record without taking a lease (`durable state get`). Null if never written. */
  read(actorId: string): Promise<ActorRecord | null>;
  /**
   * Actors whose last commit, at or before `before`, left an outbox not yet cleared, or waiting
   * messages while not parked: what the sweeper finishes when no call comes to the actor.
   */
  listStranded(before: number, limit: number): Promise<StrandedActor[]>;
  /**
   * Deletes large-state objects that no record references and never will (a crash between an
   * object's write and its commit leaves one), checking at most `limit` of them; objects written
   * after `before` are left alone, since their commit may still be in flight. Stores without
   * large-state storage do not have it.
   */
  sweepBlobs?(before: number, limit: number): Promise<BlobSweep>;
}

/** What one pass of `sweepBlobs` did. */
export interface BlobSweep {
  checked: number;
  deleted: number;
}
