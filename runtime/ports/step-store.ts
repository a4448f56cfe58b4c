import type { JsonValue } from "./values.ts";

/** A workflow step's recorded outcome. */
export interface StepRecord {
  key: string;
  result: JsonValue | null;
  at: number;
}

/**
 * Records workflow steps as soon as they finish, outside the turn's commit, so a crash after a
 * step's effect replays the recorded result instead of repeating the effect.
 */
export interface StepStore {
  /** Recorded steps of one run of one actor (a run is keyed by the message id that started it). */
  list(actorId: string, runId: string): Promise<Map<string, StepRecord>>;
  /** Records a step once: if one is already recorded under the key, that one is returned and kept. */
  record(actorId: string, runId: string, step: StepRecord): Promise<StepRecord>;
}
