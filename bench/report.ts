/**
 * Turns the measurements into the results file's shape (field names are a contract: docs and
 * CI read them) and the targets into verdicts with their ratios.
 */
import type { AwsBenchResults, DesignResults } from "./aws-bench.ts";
import type { InvokeSummary } from "./invoke-stats.ts";
import type { LocalBenchResults } from "./local-bench.ts";
import type { StateSizeBenchOptions, StateSizeResult } from "./state-size-bench.ts";

export interface Target {
  readonly id: string;
  readonly description: string;
  /** The measured value and the bound it is held to. */
  readonly value: number;
  readonly limit: number;
  /** value / reference, where the target is relative (e.g. our p50 / the baseline's). */
  readonly ratio?: number | undefined;
  readonly met: boolean;
}

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));
const roundAll = (r: Readonly<Record<string, number>>): Record<string, number> =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)]));

function syncJson(s: InvokeSummary) {
  return {
    invokes: s.n,
    ddbRequestsPerInvoke: round(s.requests),
    sequentialRoundTrips: round(s.roundTrips),
    sequentialRoundTripsMax: s.roundTripsMax,
    p50Ms: round(s.p50Ms),
    p99Ms: round(s.p99Ms),
    meanMs: round(s.meanMs),
    /** Mean time with a DynamoDB request in flight; meanMs minus this is the handler's own time. */
    storageMs: round(s.storageMs),
    readUnitsPerInvoke: round(s.readUnits),
    writeUnitsPerInvoke: round(s.writeUnits),
    requestsByOp: roundAll(s.ops),
    msPerRequestByOp: roundAll(s.opMs),
  };
}

function designJson(d: DesignResults, concurrency: number, actors: number) {
  return {
    sync: {
      ...syncJson(d.hot),
      spread: { ...syncJson(d.spread), actors, concurrency, opsPerSec: round(d.spread.opsPerSec, 1) },
    },
    asyncBatch10: {
      batches: d.batch.n,
      ddbRequestsPerBatch: round(d.batch.requests),
      sequentialRoundTrips: round(d.batch.roundTrips),
      p50Ms: round(d.batch.p50Ms),
      p99Ms: round(d.batch.p99Ms),
      messagesPerSec: round(d.batch.messagesPerSec, 1),
      readUnitsPerBatch: round(d.batch.readUnits),
      writeUnitsPerBatch: round(d.batch.writeUnits),
      requestsByOp: roundAll(d.batch.ops),
    },
  };
}

/**
 * What an invoke would take if every request took exactly the simulated latency: the handler's
 * own time plus round trips × latency. It takes DynamoDB Local's service time (transactions
 * cost it several times a PutItem) out of the comparison; reported beside the measured ratio.
 */
function latencyModelMs(s: InvokeSummary, latencyMs: number): number {
  return s.meanMs - s.storageMs + s.roundTrips * latencyMs;
}

export function awsJson(
  r: AwsBenchResults,
  o: { latencyMs: number; concurrency: number; spreadActors: number },
) {
  const durable = designJson(r.durable, o.concurrency, o.spreadActors);
  const baseline = designJson(r.baseline, o.concurrency, o.spreadActors);
  return {
    latencyMsPerRequest: o.latencyMs,
    ...durable,
    sync: {
      ...durable.sync,
      p50RatioToBaseline: round(r.durable.hot.p50Ms / r.baseline.hot.p50Ms, 3),
      latencyModelRatioToBaseline: round(
        latencyModelMs(r.durable.hot, o.latencyMs) / latencyModelMs(r.baseline.hot, o.latencyMs),
        3,
      ),
    },
    baseline,
  };
}

export function localJson(r: LocalBenchResults) {
  const backend = (b: LocalBenchResults["local"] | LocalBenchResults["miniflare"]) => ({
    hot: {
      n: b.hot.n,
      p50Ms: round(b.hot.p50Ms, 3),
      p99Ms: round(b.hot.p99Ms, 3),
      opsPerSec: round(b.hot.opsPerSec, 1),
    },
    spread: {
      total: b.spread.total,
      actors: b.spread.actors,
      clients: b.spread.clients,
      p50Ms: round(b.spread.p50Ms, 3),
      p99Ms: round(b.spread.p99Ms, 3),
      opsPerSec: round(b.spread.opsPerSec, 1),
    },
  });
  return {
    local: {
      ...backend(r.local),
      devRssMb: round(r.local.devRssMb, 1),
      devRssAfterLoadMb: round(r.local.devRssAfterLoadMb, 1),
      launcherRssMb: round(r.local.launcherRssMb, 1),
      rssOf: "the Bun child (cli/main.ts) of the node bin/durable.js launcher: VmRSS of /proc/<pid>/status",
    },
    miniflare: {
      ...backend(r.miniflare),
      workerdRssMb: r.miniflare.workerdRssMb === undefined ? null : round(r.miniflare.workerdRssMb, 1),
    },
  };
}

export function awsTargets(r: AwsBenchResults): Target[] {
  const d = r.durable;
  const b = r.baseline;
  return [
    {
      id: "aws.sync.sequentialRoundTrips",
      description: "sequential DynamoDB round trips per sync invoke ≤ 2 (baseline 4)",
      value: round(d.hot.roundTrips),
      limit: 2,
      ratio: round(d.hot.roundTrips / b.hot.roundTrips, 3),
      met: d.hot.roundTrips <= 2 && d.spread.roundTrips <= 2,
    },
    {
      id: "aws.sync.p50Ms",
      description: "sync p50 ≤ 0.55 × baseline p50",
      value: round(d.hot.p50Ms),
      limit: round(0.55 * b.hot.p50Ms),
      ratio: round(d.hot.p50Ms / b.hot.p50Ms, 3),
      met: d.hot.p50Ms <= 0.55 * b.hot.p50Ms,
    },
    {
      id: "aws.asyncBatch10.ddbRequestsPerBatch",
      description: "DynamoDB requests per 10-message batch ≤ 3 (baseline 40)",
      value: round(d.batch.requests),
      limit: 3,
      ratio: round(d.batch.requests / b.batch.requests, 3),
      met: d.batch.requests <= 3,
    },
  ];
}

export function localTargets(r: LocalBenchResults): Target[] {
  const l = r.local;
  const m = r.miniflare;
  return [
    {
      id: "local.hot.p50Ms",
      description: "durable dev hot p50 ≤ Miniflare's",
      value: round(l.hot.p50Ms, 3),
      limit: round(m.hot.p50Ms, 3),
      ratio: round(l.hot.p50Ms / m.hot.p50Ms, 3),
      met: l.hot.p50Ms <= m.hot.p50Ms,
    },
    {
      id: "local.hot.opsPerSec",
      description: "durable dev hot throughput ≥ 1.5 × Miniflare's",
      value: round(l.hot.opsPerSec, 1),
      limit: round(1.5 * m.hot.opsPerSec, 1),
      ratio: round(l.hot.opsPerSec / m.hot.opsPerSec, 3),
      met: l.hot.opsPerSec >= 1.5 * m.hot.opsPerSec,
    },
    {
      id: "local.spread.opsPerSec",
      description: "durable dev spread throughput ≥ 1.5 × Miniflare's",
      value: round(l.spread.opsPerSec, 1),
      limit: round(1.5 * m.spread.opsPerSec, 1),
      ratio: round(l.spread.opsPerSec / m.spread.opsPerSec, 3),
      met: l.spread.opsPerSec >= 1.5 * m.spread.opsPerSec,
    },
    {
      id: "local.devRssMb",
      description: "durable dev idle RSS < 80 MB",
      value: round(l.devRssMb, 1),
      limit: 80,
      met: l.devRssMb < 80,
    },
  ];
}

/** The large-state row: a sync call's p50 with a 1 MB state (in S3) against a 1 KB one. */
export function stateSizeJson(results: readonly StateSizeResult[], o: StateSizeBenchOptions) {
  const call = (s: InvokeSummary) => ({
    invokes: s.n,
    p50Ms: round(s.p50Ms),
    p99Ms: round(s.p99Ms),
    requests: round(s.requests),
    sequentialRoundTrips: round(s.roundTrips),
    requestsByOp: roundAll(s.ops),
  });
  const [small, large] = results;
  return {
    latencyMsPerRequest: { dynamodb: o.latencyMs, s3: o.s3LatencyMs },
    states: Object.fromEntries(
      results.map((r) => [
        r.label,
        { bytes: r.bytes, inS3: r.inS3, write: call(r.write), read: call(r.read) },
      ]),
    ),
    p50Ratio1MbTo1Kb:
      small && large
        ? {
            write: round(large.write.p50Ms / small.write.p50Ms, 3),
            read: round(large.read.p50Ms / small.read.p50Ms, 3),
          }
        : null,
  };
}
