import type { MigrateOutcome } from "../../runtime/core/migrate-actor.ts";

/** One actor as a scan page shows it: what `durable migrate` compares with the code's schema. */
export interface ScannedActor {
  actorId: string;
  actorType: string | null;
  schema: number;
}

export interface ScanPage {
  actors: ScannedActor[];
  /** Where the next page starts; undefined after the last one. */
  cursor: string | undefined;
  /** Read capacity the page consumed (0 locally). */
  readUnits: number;
}

/** What a whole scan will read, stated before it starts. */
export interface ScanEstimate {
  items: number;
  bytes: number;
  /** Read request units a full scan consumes (eventually consistent: half a unit per 4 KB). */
  readUnits: number;
  /** One line: what is read and what it costs. */
  summary: string;
}

/**
 * Where `durable migrate` runs: the local fabric or a stage. Finding actors is a paged scan of every
 * record today; a fleet index (when the State table has one) would answer `scan` by query instead.
 */
export interface MigrationTarget {
  /** Printed first, e.g. "stage prod (orders-prod, eu-west-1)". */
  readonly description: string;
  /** Names the checkpoint directory: "local" or "stage-<name>". */
  readonly key: string;
  estimate(): Promise<ScanEstimate>;
  scan(cursor: string | undefined, limit: number): Promise<ScanPage>;
  /** Each actor through a fenced turn of its type's code; one outcome per actor, in order. */
  migrate(actors: readonly { actorId: string; actorType: string }[]): Promise<MigrateOutcome[]>;
  close(): void;
}

/** Runs `task` over `items` with at most `limit` at once, keeping their order in the results. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await task(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
