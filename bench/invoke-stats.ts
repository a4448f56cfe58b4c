/** Per-invoke samples (latency and the storage requests it made) and their summary. */
import { busyMs, type Measured, requestsByOp, sequentialRoundTrips } from "./request-log.ts";
import { summarize } from "./workloads.ts";

export interface InvokeSample {
  readonly ms: number;
  readonly requests: number;
  readonly roundTrips: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly ops: Readonly<Record<string, number>>;
  /** Milliseconds with a DynamoDB request in flight; the rest of `ms` is the handler's own time. */
  readonly storageMs: number;
  /** Milliseconds each operation spent in flight, summed over its requests. */
  readonly opMs: Readonly<Record<string, number>>;
}

export interface InvokeSummary {
  readonly n: number;
  /** Mean DynamoDB requests (HTTP attempts) per invoke or batch. */
  readonly requests: number;
  /** Mean, median and worst sequential round trips (see request-log.ts for the definition). */
  readonly roundTrips: number;
  readonly roundTripsP50: number;
  readonly roundTripsMax: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  /** Mean on-demand request units (see dynamodb-probe.ts for the rules). */
  readonly readUnits: number;
  readonly writeUnits: number;
  /** Mean milliseconds of an invoke with a request in flight (the rest is the handler's CPU). */
  readonly storageMs: number;
  /** Mean requests per operation, e.g. { UpdateItem: 1, TransactGetItems: 1, ... }. */
  readonly ops: Readonly<Record<string, number>>;
  /**
   * Mean milliseconds one request of each operation was in flight: the simulated latency plus
   * the SDK and DynamoDB Local's own time, which says where an invoke's time above
   * round trips × latency went.
   */
  readonly opMs: Readonly<Record<string, number>>;
}

export function sampleOf(measured: Measured<unknown>): InvokeSample {
  const { requests } = measured;
  const opMs: Record<string, number> = {};
  for (const r of requests) opMs[r.op] = (opMs[r.op] ?? 0) + (r.endMs - r.startMs);
  return {
    ms: measured.ms,
    requests: requests.length,
    roundTrips: sequentialRoundTrips(requests),
    readUnits: requests.reduce((sum, r) => sum + r.readUnits, 0),
    writeUnits: requests.reduce((sum, r) => sum + r.writeUnits, 0),
    ops: requestsByOp(requests),
    storageMs: busyMs(requests),
    opMs,
  };
}

export function summarizeSamples(samples: readonly InvokeSample[]): InvokeSummary {
  const n = samples.length;
  const mean = (pick: (s: InvokeSample) => number): number =>
    n === 0 ? Number.NaN : samples.reduce((sum, s) => sum + pick(s), 0) / n;
  const ops: Record<string, number> = {};
  for (const s of samples) for (const [op, count] of Object.entries(s.ops)) ops[op] = (ops[op] ?? 0) + count;
  const opMs: Record<string, number> = {};
  for (const s of samples) for (const [op, ms] of Object.entries(s.opMs)) opMs[op] = (opMs[op] ?? 0) + ms;
  // Per request: the total time of an operation over how many requests of it were made.
  for (const op of Object.keys(opMs)) opMs[op] = (opMs[op] as number) / (ops[op] ?? 1);
  for (const op of Object.keys(ops)) ops[op] = (ops[op] as number) / n;
  return {
    n,
    requests: mean((s) => s.requests),
    roundTrips: mean((s) => s.roundTrips),
    roundTripsP50: summarize(samples.map((s) => s.roundTrips)).p50Ms,
    roundTripsMax: samples.reduce((max, s) => Math.max(max, s.roundTrips), 0),
    ...summarize(samples.map((s) => s.ms)),
    meanMs: mean((s) => s.ms),
    readUnits: mean((s) => s.readUnits),
    writeUnits: mean((s) => s.writeUnits),
    storageMs: mean((s) => s.storageMs),
    ops,
    opMs,
  };
}
