/**
 * The AWS path on DynamoDB Local (and fauxqs for the queue the adapter is configured with):
 * sync invokes on one hot actor and spread over many actors, and 10-message SQS batches for one
 * actor, for the real Lambda entry and the baseline, side by side in one run. Every workload
 * runs in rounds that alternate which design goes first (ABBA), so a slow spell on a shared
 * machine lands on both designs rather than on whichever ran at that moment.
 */
import { randomUUID } from "node:crypto";
import { DEFAULTS } from "../runtime/adapters/aws/config.ts";
import { createFabricResources } from "../runtime/adapters/aws/fabric-resources.ts";
import { dynamoDbLocal } from "../test/support/dynamodb-local.ts";
import { fauxqs } from "../test/support/fauxqs.ts";
import { baselineDesign, type Design, durableDesign } from "./aws-designs.ts";
import { instrumentDynamoDb } from "./dynamodb-probe.ts";
import { type InvokeSample, type InvokeSummary, sampleOf, summarizeSamples } from "./invoke-stats.ts";
import { RequestLog } from "./request-log.ts";

export interface AwsBenchOptions {
  /** Simulated network latency added to every DynamoDB request. */
  latencyMs: number;
  hotInvokes: number;
  spreadInvokes: number;
  spreadActors: number;
  /** Concurrent Lambda instances in the spread workload. */
  concurrency: number;
  batches: number;
  batchSize: number;
  rounds: number;
  /** The durable design's warm grace (each instance keeps the actors it committed this long). */
  warmGraceMs: number;
  onProgress?: (line: string) => void;
}

export interface DesignResults {
  hot: InvokeSummary;
  spread: InvokeSummary & { opsPerSec: number };
  batch: InvokeSummary & { messagesPerSec: number };
}

export interface AwsBenchResults {
  durable: DesignResults;
  baseline: DesignResults;
  dynamodbStartupMs: number;
}

export const DEFAULT_AWS_OPTIONS: AwsBenchOptions = {
  latencyMs: 5,
  hotInvokes: 200,
  spreadInvokes: 400,
  spreadActors: 100,
  concurrency: 2,
  batches: 24,
  batchSize: 10,
  rounds: 4,
  warmGraceMs: DEFAULTS.warmGraceMs,
};

export async function runAwsBench(options: AwsBenchOptions = DEFAULT_AWS_OPTIONS): Promise<AwsBenchResults> {
  // Full JIT: the launcher's default (C1 only) starts faster but would slow every request here.
  process.env.DURABLE_TEST_DYNAMODB_JAVA_OPTS ??= "-XX:+UseSerialGC";
  const [ddb, sqsServer] = await Promise.all([dynamoDbLocal(), fauxqs()]);
  const setupClient = ddb.client();
  const sqs = sqsServer.client();
  const resources = await createFabricResources({
    dynamodb: setupClient,
    sqs,
    prefix: `bench-${randomUUID().slice(0, 8)}`,
  });
  const log = new RequestLog();
  const dynamodb = ddb.client();
  instrumentDynamoDb(dynamodb, { log, latencyMs: options.latencyMs });
  const env = {
    dynamodb,
    sqs,
    settings: resources.settings,
    queueArn: resources.queues.queueArn,
    instances: options.concurrency,
    warmGraceMs: options.warmGraceMs,
  };
  const designs = [durableDesign(env), baselineDesign(env)] as const;
  const progress = options.onProgress ?? (() => undefined);
  try {
    for (const design of designs) await warmUp(design);
    progress("aws: hot actor");
    const hot = await alternate(designs, options.rounds, (d, round) => hotRound(d, log, options, round));
    progress("aws: spread over actors");
    const spread = await alternate(designs, options.rounds, (d) => spreadRound(d, log, options));
    progress("aws: SQS batches");
    const batch = await alternate(designs, options.rounds, (d) => batchRound(d, log, options));
    const results = (i: 0 | 1): DesignResults => ({
      hot: summarizeSamples(hot[i].samples),
      spread: {
        ...summarizeSamples(spread[i].samples),
        opsPerSec: rate(spread[i].samples.length, spread[i].ms),
      },
      batch: {
        ...summarizeSamples(batch[i].samples),
        messagesPerSec: rate(batch[i].samples.length * options.batchSize, batch[i].ms),
      },
    });
    await checkCounts(designs, options);
    return { durable: results(0), baseline: results(1), dynamodbStartupMs: ddb.startupMs };
  } finally {
    await resources.destroy().catch(() => undefined);
    await Promise.all([ddb.stop(), sqsServer.stop()]);
  }
}

interface Round {
  samples: InvokeSample[];
  /** Wall time of the round's timed part. */
  ms: number;
}

/** Runs `round` for each design, alternating which goes first, and pools each design's rounds. */
async function alternate(
  designs: readonly [Design, Design],
  rounds: number,
  round: (design: Design, index: number) => Promise<Round>,
): Promise<[Round, Round]> {
  const pooled: [Round, Round] = [
    { samples: [], ms: 0 },
    { samples: [], ms: 0 },
  ];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const result = await round(designs[i as 0 | 1], r);
      const pool = pooled[i as 0 | 1];
      pool.samples.push(...result.samples);
      pool.ms += result.ms;
    }
  }
  return pooled;
}

async function warmUp(design: Design): Promise<void> {
  for (let i = 0; i < 20; i++) await design.increment(`${design.prefix}-warmup`, i);
  for (let i = 0; i < 2; i++) await design.batch(`${design.prefix}-warmup-batch`, 10);
}

async function hotRound(
  design: Design,
  log: RequestLog,
  options: AwsBenchOptions,
  round: number,
): Promise<Round> {
  const actorId = `${design.prefix}-hot`;
  const n = Math.ceil(options.hotInvokes / options.rounds);
  const samples: InvokeSample[] = [];
  const started = performance.now();
  let previous = round * n;
  for (let i = 0; i < n; i++) {
    const measured = await log.measure(() => design.increment(actorId, 0));
    // A fast design that loses or repeats an increment is no result.
    if (measured.value !== previous + 1)
      throw new Error(`${design.name} hot count went ${previous} → ${measured.value}`);
    previous = measured.value;
    samples.push(sampleOf(measured));
  }
  return { samples, ms: performance.now() - started };
}

async function spreadRound(design: Design, log: RequestLog, options: AwsBenchOptions): Promise<Round> {
  const n = Math.ceil(options.spreadInvokes / options.rounds);
  const samples: InvokeSample[] = [];
  let next = 0;
  let offset = spreadOffset.get(design.name) ?? 0;
  const instance = async (index: number): Promise<void> => {
    for (let i = next++; i < n; i = next++) {
      const actorId = `${design.prefix}-spread-${(offset + i) % options.spreadActors}`;
      samples.push(sampleOf(await log.measure(() => design.increment(actorId, index))));
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: options.concurrency }, (_, index) => instance(index)));
  offset += n;
  spreadOffset.set(design.name, offset);
  return { samples, ms: performance.now() - started };
}

/** Where each design's spread rounds continue, so all rounds together cover the actors evenly. */
const spreadOffset = new Map<string, number>();

async function batchRound(design: Design, log: RequestLog, options: AwsBenchOptions): Promise<Round> {
  const n = Math.ceil(options.batches / options.rounds);
  const samples: InvokeSample[] = [];
  const started = performance.now();
  // One FIFO group has one batch in flight at a time, so one actor's batches run back to back.
  for (let i = 0; i < n; i++) {
    samples.push(
      sampleOf(await log.measure(() => design.batch(`${design.prefix}-batch`, options.batchSize))),
    );
  }
  return { samples, ms: performance.now() - started };
}

/** Every increment must have landed exactly once, in both designs. */
async function checkCounts(designs: readonly Design[], options: AwsBenchOptions): Promise<void> {
  const batches = Math.ceil(options.batches / options.rounds) * options.rounds;
  const spread = Math.ceil(options.spreadInvokes / options.rounds) * options.rounds;
  for (const design of designs) {
    const batched = await design.count(`${design.prefix}-batch`);
    if (batched !== batches * options.batchSize) {
      throw new Error(
        `${design.name}: ${batches} batches of ${options.batchSize} left the count at ${batched}`,
      );
    }
    let total = 0;
    for (let a = 0; a < Math.min(options.spreadActors, spread); a++) {
      total += await design.count(`${design.prefix}-spread-${a}`);
    }
    if (total !== spread) throw new Error(`${design.name}: ${spread} spread increments summed to ${total}`);
  }
}

function rate(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : Number.NaN;
}
