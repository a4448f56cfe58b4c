/**
 * What a large state costs a sync call: the real Lambda entry on DynamoDB Local and fauxqs (S3), an
 * actor whose state is 1 KB against one whose state is 1 MB of incompressible JSON (too large for
 * a DynamoDB item even gzipped, so it lives in S3: a GetObject on every load, a PutObject and a
 * DeleteObject on every write). Each request gets a simulated same-region latency (DynamoDB and S3
 * alike, set apart); rounds alternate which size goes first.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { S3Client } from "@aws-sdk/client-s3";
import { createAwsPorts } from "../runtime/adapters/aws/create-aws-ports.ts";
import { createFabricResources } from "../runtime/adapters/aws/fabric-resources.ts";
import { createLambdaHandler, type DurableLambdaHandler } from "../runtime/adapters/aws/lambda.ts";
import { actor } from "../runtime/core/actor.ts";
import { dynamoDbLocal } from "../test/support/dynamodb-local.ts";
import { fauxqs } from "../test/support/fauxqs.ts";
import { instrumentDynamoDb } from "./dynamodb-probe.ts";
import { type InvokeSample, type InvokeSummary, sampleOf, summarizeSamples } from "./invoke-stats.ts";
import { fakeContext } from "./lambda-fixtures.ts";
import { RequestLog } from "./request-log.ts";
import { formatTable } from "./table.ts";

export interface StateSizeBenchOptions {
  /** Added to every DynamoDB request. */
  latencyMs: number;
  /** Added to every S3 request (time to first byte in region; transfer on top is fauxqs's own). */
  s3LatencyMs: number;
  /** Calls per size and kind (write, read), over all rounds. */
  calls: number;
  rounds: number;
  onProgress?: (line: string) => void;
}

export const DEFAULT_STATE_SIZE_OPTIONS: StateSizeBenchOptions = {
  latencyMs: 5,
  s3LatencyMs: 15,
  calls: 60,
  rounds: 4,
};

export interface StateSizeResult {
  label: string;
  bytes: number;
  /** Whether the state lived in S3 (too large for an item). */
  inS3: boolean;
  /** A call that changes the state (committed: for 1 MB a new object). */
  write: InvokeSummary;
  /** A call that only reads it (nothing committed). */
  read: InvokeSummary;
}

const SIZES = [
  { label: "1 KB", bytes: 1024 },
  { label: "1 MB", bytes: 1024 * 1024 },
] as const;

const blob = actor("blob", {
  state: () => ({ count: 0, data: "" }),
  handlers: {
    fill(ctx, input: { data: string }) {
      ctx.state.data = input.data;
    },
    touch(ctx) {
      ctx.state.count += 1;
      return ctx.state.count;
    },
    peek: (ctx) => ctx.state.count,
  },
});

export async function runStateSizeBench(
  options: StateSizeBenchOptions = DEFAULT_STATE_SIZE_OPTIONS,
): Promise<StateSizeResult[]> {
  const [ddb, server] = await Promise.all([dynamoDbLocal(), fauxqs()]);
  const s3 = server.s3();
  const resources = await createFabricResources({
    dynamodb: ddb.client(),
    sqs: server.client(),
    s3,
    prefix: `bench-state-${randomBytes(4).toString("hex")}`,
    delayQueue: false,
  });
  const log = new RequestLog();
  const dynamodb = ddb.client();
  instrumentDynamoDb(dynamodb, { log, latencyMs: options.latencyMs });
  instrumentS3(s3, log, options.s3LatencyMs);
  const ports = createAwsPorts({
    settings: resources.settings,
    clients: { dynamodb, s3, sqs: server.client() },
  });
  const handler = createLambdaHandler([blob], { ports, write: () => undefined });
  const progress = options.onProgress ?? (() => undefined);
  try {
    for (const { label, bytes } of SIZES) {
      // The JSON around `data` is small: the state is `bytes` give or take a few.
      await call(handler, actorOf(label), "fill", {
        data: randomBytes(bytes).toString("base64").slice(0, bytes),
      });
    }
    const samples = new Map<string, { write: InvokeSample[]; read: InvokeSample[] }>(
      SIZES.map(({ label }) => [label, { write: [], read: [] }]),
    );
    const perRound = Math.ceil(options.calls / options.rounds);
    for (let round = 0; round < options.rounds; round++) {
      progress(`state size: round ${round + 1} of ${options.rounds}`);
      const order = round % 2 === 0 ? SIZES : [...SIZES].reverse();
      for (const { label } of order) {
        const pool = samples.get(label) as { write: InvokeSample[]; read: InvokeSample[] };
        for (let i = 0; i < perRound; i++) {
          pool.write.push(sampleOf(await log.measure(() => call(handler, actorOf(label), "touch"))));
          pool.read.push(sampleOf(await log.measure(() => call(handler, actorOf(label), "peek"))));
        }
      }
    }
    return await Promise.all(
      SIZES.map(async ({ label, bytes }) => {
        const pool = samples.get(label) as { write: InvokeSample[]; read: InvokeSample[] };
        const record = await ports.store.read(actorOf(label));
        return {
          label,
          bytes,
          inS3: record?.stateRef !== undefined,
          write: summarizeSamples(pool.write),
          read: summarizeSamples(pool.read),
        };
      }),
    );
  } finally {
    await resources.destroy().catch(() => undefined);
    await Promise.all([ddb.stop(), server.stop()]);
  }
}

function actorOf(label: string): string {
  return `blob-${label.replace(" ", "").toLowerCase()}`;
}

async function call(
  handler: DurableLambdaHandler,
  actorId: string,
  name: string,
  input?: unknown,
): Promise<unknown> {
  const reply = await handler(
    { type: "durable.invoke", actorId, actorType: "blob", handler: name, input: input as never },
    fakeContext("durable-bench"),
  );
  if (!reply.ok) throw new Error(`${name} on ${actorId}: ${reply.error.code} ${reply.error.message}`);
  return reply.result;
}

/** The S3 side of the probe: each request delayed by the model's latency and logged as `S3:<op>`. */
function instrumentS3(client: S3Client, log: RequestLog, latencyMs: number): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const op = `S3:${(context.commandName ?? "Unknown").replace(/Command$/, "")}`;
      const startMs = performance.now();
      if (latencyMs > 0) await sleep(latencyMs);
      try {
        const result = await next(args);
        log.record({ op, startMs, endMs: performance.now(), readUnits: 0, writeUnits: 0 });
        return result;
      } catch (error) {
        const name = error instanceof Error ? error.name : String(error);
        log.record({ op, startMs, endMs: performance.now(), readUnits: 0, writeUnits: 0, error: name });
        throw error;
      }
    },
    { step: "deserialize", name: "durableBenchS3Probe", priority: "low", override: true },
  );
}

export function stateSizeTable(results: readonly StateSizeResult[], options: StateSizeBenchOptions): string {
  const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : "-");
  const base = results[0];
  return formatTable([
    [
      `Large state: sync call, DynamoDB +${options.latencyMs} ms, S3 +${options.s3LatencyMs} ms per request`,
      "p50 ms",
      "p99 ms",
      "x 1 KB",
      "requests",
      "round trips",
    ],
    ...results.flatMap((r) =>
      (["write", "read"] as const).map((kind) => [
        `${r.label} state${r.inS3 ? " (in S3)" : ""}: ${kind}`,
        f(r[kind].p50Ms),
        f(r[kind].p99Ms),
        base ? (r[kind].p50Ms / base[kind].p50Ms).toFixed(2) : "-",
        f(r[kind].requests),
        f(r[kind].roundTrips),
      ]),
    ),
  ]);
}
