import { actor } from "../durable/index.ts";
import type { CronRun } from "./cron.ts";

const KEEP = 50;

/**
 * What a job runs: `worker-reports` receives one message per run. The fabric already applies a
 * message once; the worker also skips a scheduled time it has done, so even a backfill or a job
 * registered on two schedulers by mistake does the work once per time.
 */
export const worker = actor("worker", {
  state: () => ({ done: [] as { jobId: string; scheduledAt: number; at: number }[], duplicates: 0 }),
  defaultHandler: "run",
  handlers: {
    run(ctx, input: CronRun): { done: boolean } {
      const seen = ctx.state.done.some((d) => d.jobId === input.jobId && d.scheduledAt === input.scheduledAt);
      if (seen) {
        ctx.state.duplicates += 1;
        return { done: false };
      }
      // The real work goes here (build the report, call the API); keep it idempotent per scheduledAt.
      ctx.log.info("cron run", {
        jobId: input.jobId,
        scheduledAt: new Date(input.scheduledAt).toISOString(),
      });
      ctx.state.done = [
        { jobId: input.jobId, scheduledAt: input.scheduledAt, at: ctx.now },
        ...ctx.state.done,
      ].slice(0, KEEP);
      return { done: true };
    },
  },
});
