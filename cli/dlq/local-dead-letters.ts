import { Database } from "bun:sqlite";
import { actorLetter, type Letter } from "./letters.ts";

interface DeadLetterRow {
  seq: number;
  actor_id: string;
  body: string;
  receive_count: number;
  reason: string;
  at: number;
}

/**
 * The local fabric's dead letters (the `dead_letters` table of .durable/local.db): listed with the
 * row that holds each, and removed row by row. Opened on a file the project's runtime has already
 * created and migrated, so this never changes the schema the project's copy of the runtime expects.
 */
export class LocalDeadLetters {
  readonly #db: Database;

  constructor(path: string, busyTimeoutMs = 10_000) {
    this.#db = new Database(path, { readwrite: true, create: false, strict: true });
    this.#db.run(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
  }

  /** Every letter, oldest first. */
  list(): Letter[] {
    return this.#db
      .query<DeadLetterRow, []>(
        "SELECT seq, actor_id, body, receive_count, reason, at FROM dead_letters ORDER BY at, seq",
      )
      .all()
      .map((row) =>
        actorLetter({
          body: row.body,
          reason: row.reason,
          at: row.at,
          receiveCount: row.receive_count,
          storedId: `dead-letter-${row.seq}`,
          storedActor: row.actor_id,
          ref: { seq: row.seq },
        }),
      );
  }

  /** Deletes the rows of these letters in one transaction; returns how many were still there. */
  remove(letters: readonly Letter[]): number {
    const seqs = letters.flatMap((l) => ("seq" in l.ref ? [l.ref.seq] : []));
    const remove = this.#db.query<never, { seq: number }>("DELETE FROM dead_letters WHERE seq = $seq");
    return this.#db
      .transaction(() => seqs.reduce((n, seq) => n + remove.run({ seq }).changes, 0))
      .immediate();
  }

  close(): void {
    this.#db.close();
  }
}
