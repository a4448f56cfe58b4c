import { actor } from "../../runtime/core/actor.ts";
import { DurableError } from "../../runtime/core/errors.ts";
import { newMessageId } from "../../runtime/core/invoker.ts";
import type { Worker } from "./backends.ts";
import {
  type CheckResult,
  type CounterInput,
  type CounterOutput,
  checkLinearizable,
  counterModel,
  formatWitness,
  HistoryRecorder,
} from "./linearizability.ts";

/**
 * A counter that also keeps the tag of every increment it applied, so the final state says which
 * acknowledged increments are missing (lost) and which landed twice (duplicated), not just how many.
 */
export const tallyCounter = actor("tally-counter", {
  state: () => ({ count: 0, applied: [] as string[] }),
  handlers: {
    increment(ctx, input: { tag: string }) {
      ctx.state.count += 1;
      ctx.state.applied.push(input.tag);
      return { count: ctx.state.count };
    },
    get: (ctx) => ({ count: ctx.state.count }),
  },
});

export interface WorkloadOptions {
  actorId: string;
  workers: readonly Worker[];
  opsPerWorker: number;
  /** Every nth op of a worker is a read. */
  readEvery: number;
  /**
   * Retry a failed op with the same message id until it succeeds (an effectively-once client);
   * otherwise a failed op is left ambiguous.
   */
  retrySameId?: { attempts: number };
  /**
   * Every nth op passes no message id: a sync call the fabric generates an id for keeps no
   * processed marker, so only the commit's own fencing (and the SDK's idempotent retry) guard it.
   */
  generatedIdEvery?: number;
}

export interface WorkloadResult {
  operations: number;
  acknowledged: string[];
  /** Increments whose outcome the client never learned. */
  ambiguous: string[];
  errors: Map<string, number>;
  final: { count: number; applied: string[]; version: number };
  lost: string[];
  duplicated: string[];
  /** Tags in the state that no client sent: never expected, always a bug. */
  phantom: string[];
  linearizable: CheckResult<CounterInput, CounterOutput>;
  latenciesMs: number[];
  latenciesByWorker: Map<string, number[]>;
}

/** Runs the workers against one counter, concurrently, and accounts for every increment. */
export async function runCounterWorkload(options: WorkloadOptions): Promise<WorkloadResult> {
  const { actorId, workers, opsPerWorker, readEvery } = options;
  const recorder = new HistoryRecorder<CounterInput, CounterOutput>();
  const acknowledged: string[] = [];
  const ambiguous: string[] = [];
  const errors = new Map<string, number>();
  const latenciesMs: number[] = [];
  const latenciesByWorker = new Map<string, number[]>(workers.map((w) => [w.name, []]));
  const countError = (error: unknown) => {
    const code = error instanceof DurableError ? error.code : error instanceof Error ? error.name : "unknown";
    errors.set(code, (errors.get(code) ?? 0) + 1);
  };
  const invoke = async (
    worker: Worker,
    handler: "increment" | "get",
    messageId: string | undefined,
    tag: string,
  ) => {
    const response = await worker.fabric.invoke({ actorId, handler, input: { tag }, messageId });
    return (response.result as { count: number }).count;
  };
  await Promise.all(
    workers.map(async (worker) => {
      for (let i = 0; i < opsPerWorker; i++) {
        const tag = `${worker.name}:${i}`;
        const read = readEvery > 0 && i % readEvery === readEvery - 1;
        const input: CounterInput = read ? { op: "read" } : { op: "increment", by: 1 };
        const generated =
          !options.retrySameId &&
          options.generatedIdEvery !== undefined &&
          i % options.generatedIdEvery === 0;
        const messageId = generated ? undefined : newMessageId();
        const started = performance.now();
        try {
          await recorder.record(worker.name, actorId, input, async () => {
            for (let attempt = 1; ; attempt++) {
              try {
                return await invoke(worker, read ? "get" : "increment", messageId, tag);
              } catch (error) {
                if (!options.retrySameId || attempt >= options.retrySameId.attempts) throw error;
                countError(error);
              }
            }
          });
          if (!read) acknowledged.push(tag);
        } catch (error) {
          countError(error);
          if (!read) ambiguous.push(tag);
        }
        latenciesMs.push(performance.now() - started);
        latenciesByWorker.get(worker.name)?.push(performance.now() - started);
      }
    }),
  );
  for (const worker of workers) worker.faults.enabled = false;
  const record = await workers[0]?.raw.store.read(actorId);
  const state = (record?.state ?? { count: 0, applied: [] }) as { count: number; applied: string[] };
  const final = { count: state.count, applied: state.applied, version: record?.version ?? 0 };
  const seen = new Map<string, number>();
  for (const tag of final.applied) seen.set(tag, (seen.get(tag) ?? 0) + 1);
  const sent = new Set([...acknowledged, ...ambiguous]);
  return {
    operations: recorder.ops.length,
    acknowledged,
    ambiguous,
    errors,
    final,
    lost: acknowledged.filter((tag) => !seen.has(tag)),
    duplicated: [...seen].filter(([, n]) => n > 1).map(([tag]) => tag),
    phantom: [...seen.keys()].filter((tag) => !sent.has(tag)),
    linearizable: checkLinearizable(counterModel(), recorder.ops, { budgetMs: 60_000 }),
    latenciesMs,
    latenciesByWorker,
  };
}

/** A failure message that shows the witness, for expect(..., message). */
export function describeCheck(result: CheckResult<CounterInput, CounterOutput>): string {
  if (result.ok === true) return "linearizable";
  if (result.ok === "unknown") return `linearizability unknown: ${result.reason}`;
  const witness = result.minimalWitness ? `\n${formatWitness(counterModel(), result.minimalWitness)}` : "";
  return `${result.reason}${witness}`;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
