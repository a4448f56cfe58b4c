import type { LambdaHandlerOptions } from "../../runtime/adapters/aws/lambda.ts";
import type { AnyActorDefinition } from "../../runtime/core/actor.ts";
import type { Environment } from "./backends.ts";
import { lambdaOf, settleLambda } from "./lambda-kit.ts";
import { type Received, settleQueue } from "./scenario-kit.ts";
import type { Worker } from "./worker.ts";

export interface DeliverOptions {
  /** How long a delivery of a crashed or failed batch stays invisible (default: local 200 ms, aws 1 s). */
  visibilityTimeoutMs?: number;
  /** Nothing delivered for this long means quiet, when the queue keeps messages it will not deliver. */
  quietMs?: number;
  timeoutMs?: number;
  batchSize?: number;
  /** aws: options of the Lambda entry (lease, retries, log lines). */
  lambda?: Omit<LambdaHandlerOptions, "ports"> & { lines?: string[] };
  /** aws: each invocation's timeout (the process is killed when it runs out). */
  invocationTimeoutMs?: number;
  /** Sees every delivery as it is received, before it is applied. */
  onReceived?: (deliveries: readonly Received[]) => void;
}

export interface Delivered {
  delivered: number;
  /** The worker's process died; bring another worker to go on. */
  crashed: boolean;
  /** aws: invocations that threw (a FunctionError: the whole batch comes back). */
  threw: number;
}

/**
 * Delivers the actor queue until it is empty or quiet, the way each backend does in production:
 * the dev server's queue worker (receive, apply, acknowledge) locally, and on aws Lambda's SQS
 * event source mapping invoking the Lambda entry and deleting what it did not report failed.
 */
export async function settle(
  env: Environment,
  w: Worker,
  actors: readonly AnyActorDefinition[],
  options: DeliverOptions = {},
): Promise<Delivered> {
  const depth = () => env.queueDepth();
  if (env.kind === "local") {
    const visibilityTimeoutMs = options.visibilityTimeoutMs ?? 200;
    const delivered = await settleQueue(w, {
      visibilityTimeoutMs,
      quietMs: options.quietMs ?? visibilityTimeoutMs + 300,
      timeoutMs: options.timeoutMs,
      batchSize: options.batchSize,
      depth,
      onReceived: options.onReceived,
    });
    return { delivered, crashed: w.life.dead, threw: 0 };
  }
  const result = await settleLambda(w, lambdaOf(w, actors, options.lambda), {
    visibilityTimeoutMs: options.visibilityTimeoutMs ?? 1_000,
    quietMs: options.quietMs,
    timeoutMs: options.timeoutMs,
    batchSize: options.batchSize,
    invocationTimeoutMs: options.invocationTimeoutMs,
    depth,
    onReceived: options.onReceived,
  });
  return { delivered: result.received, crashed: result.crashed, threw: result.threw };
}

/** The tags an actor's state keeps in `key`, or [] when it was never written. */
export async function tagsOf(w: Worker, actorId: string, key = "log"): Promise<string[]> {
  const state = (await w.raw.store.read(actorId))?.state as Record<string, unknown> | undefined;
  const list = state?.[key];
  return Array.isArray(list) ? list.map(String) : [];
}

/** Entries of `list` that appear more than once. */
export function duplicatesIn(list: readonly string[]): number {
  return list.length - new Set(list).size;
}

/** True when `list` is exactly `expected`, in order. */
export function sameOrder(list: readonly string[], expected: readonly string[]): boolean {
  return list.length === expected.length && list.every((tag, i) => tag === expected[i]);
}
