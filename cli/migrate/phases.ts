import type { CliContext } from "../context.ts";
import { CliError } from "../errors.ts";
import { abortableSleep } from "../targets.ts";
import type { BehindActor, Checkpoint, CheckpointFiles } from "./checkpoint.ts";
import type { MigrateProgress } from "./progress.ts";
import type { MigrationTarget, ScannedActor } from "./target.ts";

/** Records per scan page. */
export const SCAN_PAGE = 500;
/** Batches grow 1 → 5 → 50 actors: a migration that throws parks one actor, not a batch of them. */
const BATCH_SIZES = [1, 5, 50] as const;
/** Turns that failed outside any migration (the store, the function's time) are tried this often. */
const ATTEMPTS = 3;

export interface PhaseEnv {
  ctx: CliContext;
  target: MigrationTarget;
  progress: MigrateProgress;
  /** The code's schema per actor type. */
  schemas: Readonly<Record<string, number>>;
}

/** How the scan classifies one record against the code. */
export type Standing = "behind" | "current" | "ahead" | "unknown";

export function standingOf(actor: ScannedActor, schemas: Readonly<Record<string, number>>): Standing {
  const code = actor.actorType === null ? undefined : schemas[actor.actorType];
  if (code === undefined) return "unknown";
  return actor.schema < code ? "behind" : actor.schema > code ? "ahead" : "current";
}

/**
 * Pages through every record, at most `readRate` read units a second, and hands each page to
 * `onPage`. Stops between pages when the command is interrupted (the caller saved the page).
 */
export async function scanPages(
  env: PhaseEnv,
  from: Checkpoint["scan"],
  readRate: number,
  onPage: (page: ScannedActor[], scan: Checkpoint["scan"]) => void,
): Promise<Checkpoint["scan"]> {
  let scan = { ...from };
  const started = Date.now();
  let unitsThisRun = 0;
  while (!scan.done) {
    if (env.ctx.signal.aborted) throw interrupted(`scanning (${scan.scanned} records read)`);
    const page = await env.target.scan(scan.cursor, SCAN_PAGE);
    const behind = page.actors.filter((a) => standingOf(a, env.schemas) === "behind").length;
    scan = {
      cursor: page.cursor,
      done: page.cursor === undefined,
      scanned: scan.scanned + page.actors.length,
      readUnits: scan.readUnits + page.readUnits,
      behind: scan.behind + behind,
    };
    onPage(page.actors, scan);
    env.progress.scanning(scan.scanned, scan.behind, scan.readUnits, scan.done);
    unitsThisRun += page.readUnits;
    // Paced on what was read so far: the average stays under the rate however big a page was.
    const due = started + (unitsThisRun / readRate) * 1000;
    if (!scan.done && due > Date.now()) await abortableSleep(due - Date.now(), env.ctx.signal);
  }
  return scan;
}

export interface MigratePhaseOptions {
  rate: number;
  maxFailures: number;
  files: CheckpointFiles;
}

/**
 * Migrates the behind list from `checkpoint.done` on, a batch at a time, saving the checkpoint
 * after each: an interrupted run resumes after the last batch answered, and an actor migrated in
 * an answer that was lost is found current on the resume (its turn writes nothing).
 */
export async function migrateBehind(
  env: PhaseEnv,
  checkpoint: Checkpoint,
  behind: readonly BehindActor[],
  options: MigratePhaseOptions,
): Promise<void> {
  const total = behind.length;
  const started = Date.now();
  const doneAtStart = checkpoint.done;
  let batchIndex = 0;
  // What failed last time goes first: the migration may be fixed and the actor unparked by now.
  const retry = checkpoint.problems.splice(0);
  for (const problem of retry) checkpoint.counts[problem.status] -= 1;
  if (retry.length > 0) {
    await migrateBatch(env, checkpoint, retry);
    options.files.save(checkpoint);
    if (checkpoint.counts.failed >= options.maxFailures) throw stoppedOnFailures(checkpoint, total);
  }
  env.progress.migrating(checkpoint.done, total, true);
  while (checkpoint.done < total) {
    if (env.ctx.signal.aborted) throw interrupted(`after ${checkpoint.done} of ${total} actors`);
    const size = BATCH_SIZES[Math.min(batchIndex++, BATCH_SIZES.length - 1)] as number;
    const batch = behind.slice(checkpoint.done, checkpoint.done + size);
    await migrateBatch(env, checkpoint, batch);
    checkpoint.done += batch.length;
    options.files.save(checkpoint);
    env.progress.migrating(checkpoint.done, total, checkpoint.done === total);
    if (checkpoint.counts.failed >= options.maxFailures) throw stoppedOnFailures(checkpoint, total);
    const due = started + ((checkpoint.done - doneAtStart) / options.rate) * 1000;
    if (due > Date.now()) await abortableSleep(due - Date.now(), env.ctx.signal);
  }
}

async function migrateBatch(
  env: PhaseEnv,
  checkpoint: Checkpoint,
  batch: readonly { actorId: string; actorType: string }[],
): Promise<void> {
  let pending = batch.map(({ actorId, actorType }) => ({ actorId, actorType }));
  for (let attempt = 1; pending.length > 0; attempt++) {
    const outcomes = await env.target.migrate(pending);
    const again: typeof pending = [];
    outcomes.forEach((outcome, i) => {
      let key: keyof Checkpoint["counts"];
      if (outcome.status === "error" || outcome.status === "skipped") {
        if (attempt < ATTEMPTS) {
          again.push(pending[i] as (typeof pending)[number]);
          return;
        }
        key = "errors";
      } else {
        key = outcome.status;
      }
      checkpoint.counts[key] += 1;
      if ((key === "failed" || key === "errors") && checkpoint.problems.length < 100) {
        const { actorId, actorType } = pending[i] as (typeof pending)[number];
        checkpoint.problems.push({ actorId, actorType, status: key, error: outcome.error });
      }
    });
    pending = again;
  }
}

function interrupted(where: string): CliError {
  return new CliError("MIGRATE_INTERRUPTED", `migration interrupted ${where}; its progress is saved`, {
    hint: "run the same durable migrate again to continue where it stopped (nothing is migrated twice)",
  });
}

function stoppedOnFailures(checkpoint: Checkpoint, total: number): CliError {
  const failed = checkpoint.problems.filter((p) => p.status === "failed");
  const first = failed[0];
  const names = failed.map((p) => p.actorId).join(", ");
  return new CliError(
    "MIGRATION_FAILED",
    `stopped after ${checkpoint.done} of ${total} actors: a migration failed on ${names} (parked): ${first?.error?.message ?? "see durable state get"}`,
    {
      hint: `fix the migration and deploy it, unpark the actor (durable state unpark ${first?.actorId ?? "<id>"}), then run durable migrate again to continue`,
    },
  );
}
