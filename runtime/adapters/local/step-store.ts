import type { JsonValue } from "../../core/json.ts";
import type { Clock } from "../../ports/clock.ts";
import type { StepRecord, StepStore } from "../../ports/step-store.ts";
import { decode, RETENTION_MS } from "./codec.ts";
import type { LocalDb } from "./database.ts";

interface StepRow {
  key: string;
  result: string;
  at: number;
}

const PRUNE_EVERY = 128;

/** Workflow steps keyed by (actor, run, step); the first record of a key wins, as with a conditional put. */
export class LocalStepStore implements StepStore {
  private records = 0;

  constructor(
    private readonly db: LocalDb,
    private readonly clock: Clock,
    private readonly ttlMs: number = RETENTION_MS,
  ) {}

  async list(actorId: string, runId: string): Promise<Map<string, StepRecord>> {
    const rows = this.db.sqlite
      .query<StepRow, { actorId: string; runId: string }>(
        "SELECT key, result, at FROM steps WHERE actor_id = $actorId AND run_id = $runId ORDER BY at, key",
      )
      .all({ actorId, runId });
    return new Map(rows.map((row) => [row.key, toStep(row)]));
  }

  async record(actorId: string, runId: string, step: StepRecord): Promise<StepRecord> {
    return this.db.write(() => {
      const now = this.clock.now();
      this.db.sqlite
        .query(
          `INSERT INTO steps (actor_id, run_id, key, result, at, expires_at)
           VALUES ($actorId, $runId, $key, $result, $at, $expiresAt) ON CONFLICT DO NOTHING`,
        )
        .run({
          actorId,
          runId,
          key: step.key,
          result: JSON.stringify(step.result),
          at: step.at,
          expiresAt: now + this.ttlMs,
        });
      const kept = this.db.sqlite
        .query<StepRow, { actorId: string; runId: string; key: string }>(
          "SELECT key, result, at FROM steps WHERE actor_id = $actorId AND run_id = $runId AND key = $key",
        )
        .get({ actorId, runId, key: step.key });
      if (++this.records % PRUNE_EVERY === 0) {
        this.db.sqlite.query("DELETE FROM steps WHERE expires_at < $now").run({ now });
      }
      return kept ? toStep(kept) : step;
    });
  }
}

function toStep(row: StepRow): StepRecord {
  return { key: row.key, result: decode<JsonValue | null>(row.result), at: row.at };
}
