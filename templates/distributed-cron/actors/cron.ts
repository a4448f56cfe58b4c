import { type ActorContext, actor, InvalidInputError, LIMITS } from "../durable/index.ts";
import { type CronSchedule, dueTimes, nextRun, parseCron } from "../lib/cron-expression.ts";

/**
 * When the clock jumped past several scheduled times (the fabric was down, a timer fired very
 * late): `catch-up-once` runs once for the latest of them; `skip` runs none and waits for the
 * next time. A single late fire always runs.
 */
export type MissedPolicy = "skip" | "catch-up-once";
export type Target = { actorId: string; handler: string };
export type Job = {
  id: string;
  schedule: string;
  missed: MissedPolicy;
  target: Target | null;
  nextRunAt: number | null;
  /** The scheduled time of the last run: a fire for this time or an earlier one does nothing. */
  lastScheduledAt: number | null;
  lastRunAt: number | null;
  runs: number;
  skipped: number;
  lastError: string | null;
};
/** What a run sends to its target and publishes as the signal "cron.run". */
export type CronRun = { cron: string; jobId: string; scheduledAt: number; caughtUp: number };
/** A run as `runs` shows it: times in ISO 8601, like `list`. */
export type RunView = Omit<CronRun, "scheduledAt"> & { scheduledAt: string };
export type JobView = Omit<Job, "nextRunAt" | "lastScheduledAt" | "lastRunAt"> & {
  nextRunAt: string | null;
  lastScheduledAt: string | null;
  lastRunAt: string | null;
};
export type JobInput = { id: string; schedule: string; missed?: MissedPolicy; target?: Target | null };

const JOB_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const MAX_JOBS = 100;
const RECENT_RUNS = 20;

type CronState = { jobs: Job[]; recent: CronRun[] };

/**
 * A scheduler (`cron-main`): each job is a named timer on this actor, set to its next run. One
 * writer per scheduler means one run per scheduled time however many Lambdas or `durable dev`
 * processes are up; the run, the next timer and the message to the target commit together.
 */
export const cron = actor("cron", {
  state: (): CronState => ({ jobs: [], recent: [] }),
  defaultHandler: "list",
  handlers: {
    /** Adds a job, or changes one (keeping its history, so no scheduled time runs twice). */
    register(ctx, input: JobInput): JobView {
      const { id, schedule, missed, target } = checkJob(input);
      const parsed = parseCron(schedule);
      let job = findJob(ctx.state, id);
      if (!job) {
        if (ctx.state.jobs.length >= MAX_JOBS)
          throw new InvalidInputError(`${ctx.actorId} already has ${MAX_JOBS} jobs`);
        job = {
          id,
          schedule,
          missed,
          target,
          nextRunAt: null,
          lastScheduledAt: null,
          lastRunAt: null,
          runs: 0,
          skipped: 0,
          lastError: null,
        };
        ctx.state.jobs.push(job);
      }
      Object.assign(job, { schedule, missed, target });
      arm(ctx, job, parsed, Math.max(ctx.now, job.lastScheduledAt ?? 0));
      return view(job);
    },

    unregister(ctx, input: { id: string }): { removed: boolean } {
      const index = ctx.state.jobs.findIndex((j) => j.id === input?.id);
      if (index < 0) return { removed: false };
      ctx.state.jobs.splice(index, 1);
      ctx.cancelAlarm(input.id);
      return { removed: true };
    },

    /** The jobs, soonest first. */
    list(ctx): JobView[] {
      return [...ctx.state.jobs]
        .sort((a, b) => (a.nextRunAt ?? Infinity) - (b.nextRunAt ?? Infinity))
        .map(view);
    },

    /** The latest runs, newest first. */
    runs(ctx): RunView[] {
      return ctx.state.recent.map((run) => ({
        ...run,
        scheduledAt: new Date(run.scheduledAt).toISOString(),
      }));
    },

    /**
     * Runs a job now for a scheduled time (default: now), e.g. to backfill after an outage. A time
     * at or before the job's last run does nothing, like a duplicate timer fire.
     */
    trigger(ctx, input: { id: string; scheduledAt?: number }): { ran: boolean } {
      const job = findJob(ctx.state, input?.id);
      if (!job) throw new InvalidInputError(`${ctx.actorId} has no job ${JSON.stringify(input?.id)}`);
      const scheduledAt = input.scheduledAt ?? ctx.now;
      if (!Number.isInteger(scheduledAt) || scheduledAt > ctx.now) {
        throw new InvalidInputError("scheduledAt must be a time (epoch ms) that is not in the future");
      }
      return { ran: runOnce(ctx, job, scheduledAt, 0) };
    },
  },

  alarm(ctx, timer) {
    const job = findJob(ctx.state, timer.name);
    if (!job) return;
    const parsed = parseCron(job.schedule);
    const { count, latest } = dueTimes(parsed, timer.scheduledAt, ctx.now);
    if (count > 1 && job.missed === "skip") job.skipped += count;
    else runOnce(ctx, job, latest, count - 1);
    arm(ctx, job, parsed, Math.max(ctx.now, latest));
  },
});

/** Runs a job for one scheduled time unless that time (or a later one) already ran. */
function runOnce(ctx: ActorContext<CronState>, job: Job, scheduledAt: number, caughtUp: number): boolean {
  if (job.lastScheduledAt !== null && scheduledAt <= job.lastScheduledAt) return false;
  const run: CronRun = { cron: ctx.actorId, jobId: job.id, scheduledAt, caughtUp };
  Object.assign(job, {
    lastScheduledAt: scheduledAt,
    lastRunAt: ctx.now,
    runs: job.runs + 1,
    lastError: null,
  });
  ctx.state.recent = [run, ...ctx.state.recent].slice(0, RECENT_RUNS);
  if (job.target) {
    try {
      ctx.send(job.target.actorId, job.target.handler, run);
    } catch (error) {
      // A target this project does not define must not park the scheduler and stop every job.
      job.lastError = (error as Error).message;
    }
  }
  ctx.signal("cron.run", run);
  return true;
}

function arm(ctx: ActorContext<CronState>, job: Job, schedule: CronSchedule, after: number): void {
  job.nextRunAt = nextRun(schedule, after, job.schedule);
  ctx.setAlarm(new Date(job.nextRunAt), { name: job.id });
}

function findJob(state: CronState, id: unknown): Job | undefined {
  return state.jobs.find((j) => j.id === id);
}

function checkJob(input: JobInput): Required<JobInput> {
  const id = input?.id;
  if (typeof id !== "string" || !JOB_ID.test(id)) {
    throw new InvalidInputError(`job id must be lowercase letters, digits and -, got ${JSON.stringify(id)}`);
  }
  const missed = input.missed ?? "catch-up-once";
  if (missed !== "skip" && missed !== "catch-up-once") {
    throw new InvalidInputError(`missed must be "skip" or "catch-up-once", got ${JSON.stringify(missed)}`);
  }
  const target = input.target ?? null;
  if (
    target !== null &&
    (!LIMITS.actorIdPattern.test(String(target.actorId)) || typeof target.handler !== "string")
  ) {
    throw new InvalidInputError(
      'target must be { actorId, handler }, e.g. { actorId: "worker-reports", handler: "run" }',
    );
  }
  return { id, schedule: input.schedule, missed, target };
}

function view(job: Job): JobView {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    ...job,
    nextRunAt: iso(job.nextRunAt),
    lastScheduledAt: iso(job.lastScheduledAt),
    lastRunAt: iso(job.lastRunAt),
  };
}
