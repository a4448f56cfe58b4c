import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { Output } from "../output.ts";
import { openProject } from "../project.ts";
import { readStageOutputs } from "../stage-target.ts";
import { type BehindActor, type Checkpoint, CheckpointFiles, emptyCounts } from "./checkpoint.ts";
import { localMigrationTarget } from "./local-target.ts";
import { migrateBehind, type PhaseEnv, scanPages, standingOf } from "./phases.ts";
import { formatSeconds, MigrateProgress } from "./progress.ts";
import { stageMigrationTarget } from "./stage-target.ts";
import type { MigrationTarget } from "./target.ts";

export interface MigrateArgs {
  stage: string | undefined;
  dryRun: boolean;
  restart: boolean;
  rate: string | undefined;
  readRate: string | undefined;
  maxFailures: string | undefined;
  json: boolean;
}

/**
 * `durable migrate`: finds the actors whose stored state is behind the code's schema (a paged,
 * rate-limited scan whose cost is stated first), then migrates each through a fenced turn of its
 * code, showing progress; interrupted, it resumes from its checkpoint without redoing anything.
 */
export async function runMigrate(args: MigrateArgs, ctx: CliContext): Promise<void> {
  const out = new Output(ctx, { json: args.json || !ctx.isTTY });
  const rate = positive(args.rate, 50, "--rate");
  const readRate = positive(args.readRate, 100, "--read-rate");
  const maxFailures = positive(args.maxFailures, 1, "--max-failures");
  const project = await openProject(ctx.cwd);
  const schemas = Object.fromEntries((await project.loadActors()).map((d) => [d.name, d.schema ?? 1]));
  const target: MigrationTarget =
    args.stage === undefined
      ? await localMigrationTarget(project)
      : stageMigrationTarget(readStageOutputs(project, args.stage), ctx.env);
  const progress = new MigrateProgress(ctx, out);
  const env: PhaseEnv = { ctx, target, progress, schemas };
  try {
    progress.event("target", { target: target.description }, out.c.dim(`→ ${target.description}`));
    if (args.dryRun) return await dryRun(env, out, readRate);
    const files = new CheckpointFiles(project, target.key);
    const started = Date.now();
    const { checkpoint, behind, resumed } = await resumeOrStart(env, files, args.restart);
    if (!checkpoint.scan.done) {
      checkpoint.scan = await scanPages(env, checkpoint.scan, readRate, (page, scan) => {
        const found = toBehind(page, schemas);
        files.append(found);
        behind.push(...found);
        checkpoint.scan = scan;
        files.save(checkpoint);
      });
    }
    await migrateBehind(env, checkpoint, behind, { rate, maxFailures, files });
    progress.finish();
    files.remove();
    const { scanned, readUnits } = checkpoint.scan;
    const summary = {
      target: target.description,
      resumed,
      scanned,
      readUnits,
      behind: behind.length,
      ...checkpoint.counts,
    };
    const { migrated, current, errors } = checkpoint.counts;
    const tail = errors > 0 ? `; ${errors} could not be reached (run durable migrate again for them)` : "";
    out.line(
      { type: "done", ...summary, problems: checkpoint.problems, seconds: (Date.now() - started) / 1000 },
      `${out.c.green("✔")} migrated ${migrated} of ${behind.length} actor(s) behind their code` +
        (current > 0 ? ` (${current} were already current)` : "") +
        `; scanned ${checkpoint.scan.scanned} record(s), ${checkpoint.scan.readUnits} read units, in ${formatSeconds(Math.round((Date.now() - started) / 1000))}${tail}`,
    );
  } finally {
    // A redrawn progress line is ended, so an error printed after it starts on its own line.
    progress.finish();
    target.close();
  }
}

/** A saved migration of the same code continues; anything else starts over, after saying what it reads. */
async function resumeOrStart(
  env: PhaseEnv,
  files: CheckpointFiles,
  restart: boolean,
): Promise<{ checkpoint: Checkpoint; behind: BehindActor[]; resumed: boolean }> {
  const saved = restart ? undefined : files.read();
  if (saved && sameSchemas(saved.checkpoint.schemas, env.schemas)) {
    const { checkpoint, behind } = saved;
    env.progress.event(
      "resume",
      {
        done: checkpoint.done,
        behind: behind.length,
        scanned: checkpoint.scan.scanned,
        scanDone: checkpoint.scan.done,
      },
      `resuming: ${checkpoint.done} of ${behind.length} found so far already handled` +
        (checkpoint.scan.done ? "" : ` (the scan continues after ${checkpoint.scan.scanned} records)`),
    );
    return { checkpoint, behind, resumed: true };
  }
  const estimate = await env.target.estimate();
  env.progress.event(
    "plan",
    { ...estimate, schemas: env.schemas, restartedFromOtherCode: saved !== undefined },
    `finding actors behind ${describeSchemas(env.schemas)}: ${estimate.summary}` +
      (saved ? " (a saved migration of other code was discarded)" : ""),
  );
  const checkpoint: Checkpoint = {
    format: 1,
    schemas: { ...env.schemas },
    startedAt: new Date().toISOString(),
    scan: { cursor: undefined, done: false, scanned: 0, readUnits: 0, behind: 0 },
    done: 0,
    counts: emptyCounts(),
    problems: [],
  };
  files.start(checkpoint);
  return { checkpoint, behind: [], resumed: false };
}

async function dryRun(env: PhaseEnv, out: Output, readRate: number): Promise<void> {
  const estimate = await env.target.estimate();
  env.progress.event("plan", { ...estimate, schemas: env.schemas }, `dry run: ${estimate.summary}`);
  const byStep = new Map<string, number>();
  const counts = { behind: 0, current: 0, ahead: 0, unknown: 0 };
  const scan = await scanPages(
    env,
    { cursor: undefined, done: false, scanned: 0, readUnits: 0, behind: 0 },
    readRate,
    (page) => {
      for (const actor of page) {
        const standing = standingOf(actor, env.schemas);
        counts[standing] += 1;
        if (standing !== "behind") continue;
        const step = `${actor.actorType} ${actor.schema} → ${env.schemas[actor.actorType ?? ""]}`;
        byStep.set(step, (byStep.get(step) ?? 0) + 1);
      }
    },
  );
  env.progress.finish();
  const steps = [...byStep].map(([step, n]) => `${step}: ${n}`);
  out.line(
    {
      type: "dry-run",
      ...counts,
      steps: Object.fromEntries(byStep),
      scanned: scan.scanned,
      readUnits: scan.readUnits,
    },
    `would migrate ${counts.behind} actor(s)${steps.length ? ` (${steps.join("; ")})` : ""}; ${counts.current} current` +
      (counts.ahead ? `, ${counts.ahead} written by a newer schema (left alone)` : "") +
      (counts.unknown ? `, ${counts.unknown} of types this project does not define` : "") +
      `; nothing was changed`,
  );
}

function toBehind(
  page: readonly { actorId: string; actorType: string | null; schema: number }[],
  schemas: Readonly<Record<string, number>>,
): BehindActor[] {
  return page.flatMap((a) =>
    a.actorType !== null && standingOf(a, schemas) === "behind"
      ? [{ actorId: a.actorId, actorType: a.actorType, schema: a.schema }]
      : [],
  );
}

function sameSchemas(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => a[k] === b[k]);
}

function describeSchemas(schemas: Readonly<Record<string, number>>): string {
  return Object.entries(schemas)
    .map(([type, schema]) => `${type} schema ${schema}`)
    .join(", ");
}

function positive(raw: string | undefined, fallback: number, flag: string): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${flag} ${raw} is not a positive number`);
  return value;
}
