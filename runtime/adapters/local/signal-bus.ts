import type { JsonValue } from "../../core/json.ts";
import type { Signal, SignalBus } from "../../ports/signal-bus.ts";
import { decode } from "./codec.ts";
import type { LocalDb } from "./database.ts";

/** A published signal with its position in the local log. */
export interface LocalSignal extends Signal {
  seq: number;
}

export interface RecentSignalsQuery {
  /** Signals after this sequence (exclusive), for a follower; absent = the newest ones. */
  afterSeq?: number;
  limit?: number;
}

interface SignalRow {
  seq: number;
  id: string;
  source: string;
  type: string;
  detail: string;
  at: number;
}

/**
 * Signals appended to a table, standing in for the EventBridge bus. A relayed outbox may publish
 * the same signal twice; its id makes the second append a no-op.
 */
export class LocalSignalBus implements SignalBus {
  constructor(
    private readonly db: LocalDb,
    /** How many signals are kept; the log is for watching, not for replay. */
    private readonly keep: number = 1000,
  ) {}

  async publish(signals: readonly Signal[]): Promise<void> {
    if (signals.length === 0) return;
    this.db.write(() => {
      const insert = this.db.sqlite.query(
        `INSERT INTO signals (id, source, type, detail, at) VALUES ($id, $source, $type, $detail, $at)
         ON CONFLICT DO NOTHING`,
      );
      for (const signal of signals) {
        insert.run({
          id: signal.id,
          source: signal.source,
          type: signal.type,
          detail: JSON.stringify(signal.detail),
          at: signal.at,
        });
      }
      this.db.sqlite
        // By position, not by seq arithmetic: a skipped duplicate can leave a gap in the sequence.
        .query(
          "DELETE FROM signals WHERE seq <= (SELECT seq FROM signals ORDER BY seq DESC LIMIT 1 OFFSET $keep)",
        )
        .run({ keep: this.keep });
    });
  }

  /** Signals in publish order: the newest `limit` ones, or those after `afterSeq`. */
  async recent(query: RecentSignalsQuery = {}): Promise<LocalSignal[]> {
    const limit = query.limit ?? 100;
    const rows =
      query.afterSeq === undefined
        ? this.db.sqlite
            .query<SignalRow, { limit: number }>(
              "SELECT * FROM (SELECT seq, id, source, type, detail, at FROM signals ORDER BY seq DESC LIMIT $limit) ORDER BY seq",
            )
            .all({ limit })
        : this.db.sqlite
            .query<SignalRow, { afterSeq: number; limit: number }>(
              "SELECT seq, id, source, type, detail, at FROM signals WHERE seq > $afterSeq ORDER BY seq LIMIT $limit",
            )
            .all({ afterSeq: query.afterSeq, limit });
    return rows.map((row) => ({
      seq: row.seq,
      id: row.id,
      source: row.source,
      type: row.type,
      detail: decode<JsonValue>(row.detail),
      at: row.at,
    }));
  }
}
