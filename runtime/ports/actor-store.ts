import type { OutboxEntry, ParkedRecord, TimerRecord } from "./messages.ts";
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
  /** Release the lease in the same write (the common case: one round trip for commit and release). */
  release: boolean;
  now: number;
}

export interface ActorStoreLimits {
  /** Largest state (serialized JSON bytes, after any compression the store applies). */
  maxStateBytes: number;
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
  /** A consistent read of the record and of the markers of the given message ids. */
  load(actorId: string, messageIds: readonly string[]): Promise<LoadedActor>;
  /**
   * Writes the turn atomically. Throws LeaseLostError when the lease's epoch/owner is no longer
   * current, VersionConflictError when the version moved, StateTooLargeError before writing anything
   * when the state is over `limits.maxStateBytes`.
   */
  commit(commit: TurnCommit): Promise<void>;
  /** Releases a lease without committing; a lease already taken over is left alone. */
  releaseLease(lease: Lease): Promise<void>;
  /** Drops relayed outbox entries, if the record is still at `version`. */
  clearOutbox(actorId: string, version: number): Promise<void>;
  /** The committed record without taking a lease (`durable state get`). Null if never written. */
  read(actorId: string): Promise<ActorRecord | null>;
  /** Clears the parked flag so queued messages flow again. */
  unpark(actorId: string): Promise<void>;
}
