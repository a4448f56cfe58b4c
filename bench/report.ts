/**
 * Turns the measurements into the results file's shape (field names are a contract: docs and
 * CI read them) and the targets into verdicts with their ratios.
 */
import type { AwsBenchResults, DesignResults } from "./aws-bench.ts";
import type { CliBenchResults } from "./cli-bench.ts";
import type { InvokeSummary } from "./invoke-stats.ts";
import type { BackendResults, LocalBenchResults } from "./local-bench.ts";
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

/**
 * Write units of a sync call before the warm path (bench/results of 2026-11-27: acquire on the
 * Locks item, then a TransactWriteItems of the state and the lease): the bound "not above today's".
 */
export const WRITE_UNITS_BEFORE_WARM_PATH = 5;

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));
const roundAll = (r: Readonly<Record<string, number>>): Record<string, number> =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)]));

function syncJson(s: InvokeSummary) {
  return {
    invokes: s.n,
    ddbRequestsPerInvoke: round(s.requests),
    sequentialRoundTrips: round(s.roundTrips),
    sequentialRoundTripsP50: s.roundTripsP50,
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
      hot: syncJson(d.hot),
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
  o: { latencyMs: number; concurrency: number; spreadActors: number; warmGraceMs: number },
) {
  const durable = designJson(r.durable, o.concurrency, o.spreadActors);
  const baseline = designJson(r.baseline, o.concurrency, o.spreadActors);
  const versus = (d: InvokeSummary, b: InvokeSummary) => ({
    p50RatioToBaseline: round(d.p50Ms / b.p50Ms, 3),
    latencyModelRatioToBaseline: round(latencyModelMs(d, o.latencyMs) / latencyModelMs(b, o.latencyMs), 3),
  });
  return {
    latencyMsPerRequest: o.latencyMs,
    warmGraceMs: o.warmGraceMs,
    sync: {
      hot: { ...durable.sync.hot, ...versus(r.durable.hot, r.baseline.hot) },
      spread: { ...durable.sync.spread, ...versus(r.durable.spread, r.baseline.spread) },
    },
    asyncBatch10: durable.asyncBatch10,
    baseline,
  };
}

function backendJson(b: BackendResults) {
  return {
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
    /** Idle RSS of every process the backend needs, summed. */
    rssMb: round(b.memory.idleMb, 1),
    rssAfterLoadMb: round(b.memory.afterLoadMb, 1),
    rssByProcessMb: roundAll(b.memory.byProcess),
  };
}

export function localJson(r: LocalBenchResults) {
  return {
    local: {
      ...backendJson(r.local),
      totalRssMb: round(r.local.memory.idleMb, 1),
      rssOf:
        "every process of `durable dev` run through the package's bin (launcher and Bun): VmRSS from /proc, summed",
    },
    miniflare: { ...backendJson(r.miniflare), rssOf: "the Node host and workerd" },
    restate: { ...backendJson(r.restate), rssOf: "restate-server and the Bun SDK service" },
  };
}

export function cliJson(r: CliBenchResults) {
  return {
    command: r.command,
    runs: r.runs,
    invokeWallMs: round(r.invokeWallMs, 1),
    bunFloorMs: round(r.bunFloorMs, 1),
    ratio: round(r.invokeWallMs / r.bunFloorMs, 2),
    invokeCpuMs: round(r.invokeCpuMs, 1),
    bunFloorCpuMs: round(r.bunFloorCpuMs, 1),
    cpuRatio: round(r.invokeCpuMs / r.bunFloorCpuMs, 2),
    invokeSamplesMs: r.invokeSamplesMs.map((ms) => round(ms, 1)),
    bunFloorSamplesMs: r.bunFloorSamplesMs.map((ms) => round(ms, 1)),
    variants: r.variants.map((v) => ({
      label: v.label,
      wallMs: round(v.wallMs, 1),
      cpuMs: round(v.cpuMs, 1),
      ratio: round(v.wallMs / r.bunFloorMs, 2),
    })),
  };
}

export function awsTargets(r: AwsBenchResults): Target[] {
  const d = r.durable;
  const b = r.baseline;
  return [
    {
      id: "aws.sync.hot.p50Ms",
      description: "hot sync p50 ≤ 0.40 × baseline, with 1 sequential round trip (median)",
      value: round(d.hot.p50Ms),
      limit: round(0.4 * b.hot.p50Ms),
      ratio: round(d.hot.p50Ms / b.hot.p50Ms, 3),
      met: d.hot.p50Ms <= 0.4 * b.hot.p50Ms && d.hot.roundTripsP50 === 1,
    },
    {
      id: "aws.sync.spread.p50Ms",
      description: "spread sync p50 ≤ 0.60 × baseline",
      value: round(d.spread.p50Ms),
      limit: round(0.6 * b.spread.p50Ms),
      ratio: round(d.spread.p50Ms / b.spread.p50Ms, 3),
      met: d.spread.p50Ms <= 0.6 * b.spread.p50Ms,
    },
    {
      id: "aws.sync.writeUnitsPerInvoke",
      description: `write units per sync call (hot and spread) ≤ ${WRITE_UNITS_BEFORE_WARM_PATH}, today's before the warm path`,
      value: round(Math.max(d.hot.writeUnits, d.spread.writeUnits)),
      limit: WRITE_UNITS_BEFORE_WARM_PATH,
      met: Math.max(d.hot.writeUnits, d.spread.writeUnits) <= WRITE_UNITS_BEFORE_WARM_PATH,
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
  const peers = [r.miniflare, r.restate];
  const bestHot = Math.max(...peers.map((p) => p.hot.opsPerSec));
  const bestSpread = Math.max(...peers.map((p) => p.spread.opsPerSec));
  const smallestRss = Math.min(...peers.map((p) => p.memory.idleMb));
  const l = r.local;
  return [
    {
      id: "local.hot.opsPerSec",
      description: "durable dev hot throughput ≥ 3 × the best peer's",
      value: round(l.hot.opsPerSec, 1),
      limit: round(3 * bestHot, 1),
      ratio: round(l.hot.opsPerSec / bestHot, 3),
      met: l.hot.opsPerSec >= 3 * bestHot,
    },
    {
      id: "local.spread.opsPerSec",
      description: "durable dev spread throughput ≥ 3 × the best peer's",
      value: round(l.spread.opsPerSec, 1),
      limit: round(3 * bestSpread, 1),
      ratio: round(l.spread.opsPerSec / bestSpread, 3),
      met: l.spread.opsPerSec >= 3 * bestSpread,
    },
    {
      id: "local.totalRssMb",
      description: "durable dev total RSS ≤ 1/3 of the smallest peer's",
      value: round(l.memory.idleMb, 1),
      limit: round(smallestRss / 3, 1),
      ratio: round(l.memory.idleMb / smallestRss, 3),
      met: l.memory.idleMb <= smallestRss / 3,
    },
  ];
}

export function cliTargets(r: CliBenchResults): Target[] {
  return [
    {
      id: "cli.invokeWallMs",
      description: "durable invoke --sync (whole process, median wall time) ≤ 3 × bun -e 0",
      value: round(r.invokeWallMs, 1),
      limit: round(3 * r.bunFloorMs, 1),
      ratio: round(r.invokeWallMs / r.bunFloorMs, 2),
      met: r.invokeWallMs <= 3 * r.bunFloorMs,
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
