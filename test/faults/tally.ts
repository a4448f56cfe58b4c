import { afterAll } from "bun:test";
import { readdirSync } from "node:fs";
import { basename } from "node:path";

/**
 * The run's score, kept across test files (bun test shares modules between the files of one run).
 * Every scenario run records what it measured before it asserts, so a failing run is counted too.
 * bun runs files in no fixed order and has no end-of-run hook, so each scenario file reports when
 * it is done, and the last one to finish prints the one summary line.
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

const SCENARIO_FILE = /^s\d\d-[a-z0-9-]+\.test\.ts$/;
const finished = new Set<string>();
let printed = false;

/**
 * Call once at the top of each scenario file. Once every scenario file of this directory has
 * finished in this process (test/faults alone, or the whole suite), prints the summary line and
 * fails the run if anything was lost, duplicated or not linearizable.
 */
export function scenarioFile(path: string): void {
  afterAll(() => {
    finished.add(basename(path));
    const all = readdirSync(import.meta.dir).filter((name) => SCENARIO_FILE.test(name));
    if (printed || !all.every((name) => finished.has(name))) return;
    printed = true;
    console.log(summaryLine());
    const t = totals();
    if (t.lost + t.duplicated + t.violations > 0) {
      throw new Error(`fault scenarios failed their guarantees: ${summaryLine()}`);
    }
  });
}
