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
  now: number;
}

export interface ActorStoreLimits {
  /** Largest state (serialized JSON bytes, after any compression the store applies). */
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
   * Takes the lease when it is free, expired, or already this owner's; the new epoch is greater
   * than any before. Throws LeaseHeldError (with `details.expiresAt`) when another owner holds it.
   */
  acquireLease(actorId: string, owner: string, ttlMs: number, now: number): Promise<Lease>;
  /**
   * Extends a lease this owner still holds (same owner and epoch) to `now + ttlMs`. Throws
   * LeaseLostError when it was taken over; a long turn renews so that it can still commit.
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
}
