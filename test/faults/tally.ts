/**
 * The run's score, kept across test files (bun test shares modules between files of one run).
 * Every scenario run records what it measured before it asserts, so a failing run is counted too;
 * summary.test.ts, which sorts after the scenario files, prints the one summary line.
 */
export type BackendKind = "local" | "aws";

export interface RunCounts {
  /** Invocations, deliveries and fires the scenario performed. */
  operations: number;
  /** Acknowledged effects missing from the final state (or from downstream). */
  lost: number;
  /** Effects applied, or emitted downstream, more than once. */
  duplicated: number;
  /** Linearizability or fencing violations (a history with no valid order, a stale commit accepted). */
  violations: number;
}

const runs = new Map<string, RunCounts>();

/** Adds to the counts of one scenario on one backend (a scenario may record in several steps). */
export function recordRun(scenario: string, backend: BackendKind, counts: Partial<RunCounts>): void {
  const key = `${scenario} [${backend}]`;
  const run = runs.get(key) ?? { operations: 0, lost: 0, duplicated: 0, violations: 0 };
  run.operations += counts.operations ?? 0;
  run.lost += counts.lost ?? 0;
  run.duplicated += counts.duplicated ?? 0;
  run.violations += counts.violations ?? 0;
  runs.set(key, run);
}

export function totals(): RunCounts & { scenarios: number; runs: string[] } {
  const total = {
    scenarios: runs.size,
    operations: 0,
    lost: 0,
    duplicated: 0,
    violations: 0,
    runs: [...runs.keys()],
  };
  for (const run of runs.values()) {
    total.operations += run.operations;
    total.lost += run.lost;
    total.duplicated += run.duplicated;
    total.violations += run.violations;
  }
  return total;
}

export function summaryLine(): string {
  const t = totals();
  return `faults: ${t.scenarios} scenarios, ${t.operations} operations, ${t.lost} lost, ${t.duplicated} duplicated, ${t.violations} linearizability violations`;
}
