/**
 * Counts the storage requests of one invoke and how many of them had to wait for another.
 *
 * Definitions (tested in test/bench/request-log.test.ts):
 * - a request is one HTTP attempt to DynamoDB (an SDK retry is a second request);
 * - it is in flight from the moment it is handed to the network (before the simulated latency)
 *   until its answer is back;
 * - the invoke's sequential round trips are the length of the longest chain of its requests in
 *   which each one started only after the previous one had answered. Requests issued together
 *   (acquire ∥ load) are one round trip; a request sent after an answer arrived is the next one.
 *   Unlike counting busy intervals, this cannot hide a staircase of overlapping requests
 *   (A ends while C starts while B still runs) as a single round trip.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface TimedRequest {
  /** The operation, e.g. "TransactWriteItems". */
  readonly op: string;
  readonly startMs: number;
  readonly endMs: number;
  /** Read and write request units by DynamoDB's on-demand rules (see dynamodb-probe.ts). */
  readonly readUnits: number;
  readonly writeUnits: number;
  /** The error name when the request failed (a failed condition still costs a round trip). */
  readonly error?: string | undefined;
}

export interface Measured<T> {
  readonly value: T;
  readonly requests: readonly TimedRequest[];
  readonly ms: number;
}

/** Longest chain of requests where each started at or after the previous one's answer. */
export function sequentialRoundTrips(requests: readonly Pick<TimedRequest, "startMs" | "endMs">[]): number {
  const sorted = [...requests].sort((a, b) => a.startMs - b.startMs);
  const depth: number[] = [];
  let longest = 0;
  for (let i = 0; i < sorted.length; i++) {
    const current = sorted[i] as (typeof sorted)[number];
    let d = 1;
    for (let j = 0; j < i; j++) {
      const before = sorted[j] as (typeof sorted)[number];
      if (before.endMs <= current.startMs) d = Math.max(d, (depth[j] as number) + 1);
    }
    depth.push(d);
    longest = Math.max(longest, d);
  }
  return longest;
}

/** Milliseconds during which at least one of the requests was in flight (their union). */
export function busyMs(requests: readonly Pick<TimedRequest, "startMs" | "endMs">[]): number {
  const sorted = [...requests].sort((a, b) => a.startMs - b.startMs);
  let total = 0;
  let from = Number.NEGATIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const r of sorted) {
    if (r.startMs > to) {
      if (to > from) total += to - from;
      from = r.startMs;
      to = r.endMs;
    } else to = Math.max(to, r.endMs);
  }
  if (to > from) total += to - from;
  return total;
}

/** Requests per operation, e.g. { UpdateItem: 1, TransactGetItems: 1, TransactWriteItems: 1 }. */
export function requestsByOp(requests: readonly TimedRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of requests) counts[r.op] = (counts[r.op] ?? 0) + 1;
  return counts;
}

/**
 * Attributes requests to the invoke that made them through AsyncLocalStorage, so concurrent
 * invokes (several Lambda instances in one process) are counted apart. Requests made outside
 * any `measure` (table setup, warm-up) are only counted in `unattributed`.
 */
export class RequestLog {
  readonly #scope = new AsyncLocalStorage<TimedRequest[]>();
  #unattributed = 0;

  get unattributed(): number {
    return this.#unattributed;
  }

  async measure<T>(fn: () => Promise<T>): Promise<Measured<T>> {
    const requests: TimedRequest[] = [];
    const started = performance.now();
    const value = await this.#scope.run(requests, fn);
    return { value, requests, ms: performance.now() - started };
  }

  record(request: TimedRequest): void {
    const list = this.#scope.getStore();
    if (list) list.push(request);
    else this.#unattributed++;
  }
}
