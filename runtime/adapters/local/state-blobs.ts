import type { Clock } from "../../ports/clock.ts";
import type { StateBlobStore, StoredBlob } from "../../ports/state-blobs.ts";
import type { LocalDb } from "./database.ts";

/**
 * The local fabric's large-state objects: rows of the `blobs` table in the same file. Each write is
 * its own transaction, before the commit that points at it, exactly as a PutObject precedes the
 * DynamoDB commit on AWS; the sweep cursor lives in memory (each process sweeps from the start).
 */
export class LocalStateBlobs implements StateBlobStore {
  #cursor: string | undefined;

  constructor(
    private readonly db: LocalDb,
    private readonly clock: Clock,
  ) {}

  async put(key: string, body: Uint8Array): Promise<void> {
    this.db.write(() => {
      this.db.sqlite
        .query(
          `INSERT INTO blobs (key, body, written_at) VALUES ($key, $body, $now)
           ON CONFLICT (key) DO UPDATE SET body = excluded.body, written_at = excluded.written_at`,
        )
        .run({ key, body, now: this.clock.now() });
    });
  }

  async get(key: string): Promise<Uint8Array | null> {
    const row = this.db.sqlite
      .query<{ body: Uint8Array }, { key: string }>("SELECT body FROM blobs WHERE key = $key")
      .get({ key });
    return row?.body ?? null;
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    this.db.write(() => {
      this.db.sqlite
        .query("DELETE FROM blobs WHERE key IN (SELECT value FROM json_each($keys))")
        .run({ keys: JSON.stringify(keys) });
    });
  }

  async list(after: string | undefined, limit: number): Promise<StoredBlob[]> {
    return this.db.sqlite
      .query<{ key: string; written_at: number }, { after: string; limit: number }>(
        "SELECT key, written_at FROM blobs WHERE key > $after ORDER BY key LIMIT $limit",
      )
      .all({ after: after ?? "", limit: Math.max(0, limit) })
      .map((row) => ({ key: row.key, writtenAt: row.written_at }));
  }

  async readCursor(): Promise<string | undefined> {
    return this.#cursor;
  }

  async writeCursor(after: string | undefined): Promise<void> {
    this.#cursor = after;
  }
}
