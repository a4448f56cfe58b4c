/**
 * Where an ActorStore keeps states too large for an actor's record: S3 on AWS, a table of the
 * SQLite file locally. Objects are immutable once written; a key names the actor and the version
 * it was written for (see adapters/shared/state-objects.ts).
 */
export interface StateBlobStore {
  put(key: string, body: Uint8Array): Promise<void>;
  /** Null when no such object exists. */
  get(key: string): Promise<Uint8Array | null>;
  /** Deleting a key that does not exist is not an error. */
  delete(keys: readonly string[]): Promise<void>;
  /** Keys after `after` (all when undefined), in key order, with when each was written (epoch ms). */
  list(after: string | undefined, limit: number): Promise<StoredBlob[]>;
  /** Where the orphan sweep stopped last (kept by the store, so any process continues it). */
  readCursor(): Promise<string | undefined>;
  writeCursor(after: string | undefined): Promise<void>;
}

export interface StoredBlob {
  key: string;
  writtenAt: number;
}
