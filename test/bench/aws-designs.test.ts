import { beforeAll, describe, expect, test } from "bun:test";
import { baselineDesign, type Design, durableDesign } from "../../bench/aws-designs.ts";
import { instrumentDynamoDb } from "../../bench/dynamodb-probe.ts";
import { sampleOf } from "../../bench/invoke-stats.ts";
import { RequestLog } from "../../bench/request-log.ts";
import { emulatorClients, freshQueues, testSettings } from "../support/aws-fabric.ts";
import { dynamoDbLocal } from "../support/dynamodb-local.ts";

// The harness counted against DynamoDB Local: the baseline's protocol fixes its counts by
// construction (lock, load, save, release per message), so it checks the counting itself; the
// real entry is held to the design's bounds (DESIGN §3), not to a speed.
const log = new RequestLog();
let durable: Design;
let baseline: Design;

beforeAll(async () => {
  const [{ sqs }, queues, ddb] = await Promise.all([
    emulatorClients(),
    freshQueues("bench-count"),
    dynamoDbLocal(),
  ]);
  const dynamodb = ddb.client();
  instrumentDynamoDb(dynamodb, { log, latencyMs: 0 });
  const env = {
    dynamodb,
    sqs,
    settings: await testSettings(queues),
    queueArn: queues.queueArn,
    instances: 1,
    warmGraceMs: 60_000,
  };
  durable = durableDesign(env);
  baseline = baselineDesign(env);
});

const suffix = crypto.randomUUID().slice(0, 8);

describe("request counting on DynamoDB Local", () => {
  test("baseline: every sync invoke is lock, load, save, release: 4 requests in 4 round trips", async () => {
    for (let i = 1; i <= 3; i++) {
      const sample = sampleOf(await log.measure(() => baseline.increment(`bl-count-${suffix}`, 0)));
      expect(sample.ops).toEqual({ PutItem: 2, GetItem: 1, DeleteItem: 1 });
      expect(sample.requests).toBe(4);
      expect(sample.roundTrips).toBe(4);
    }
    expect(await baseline.count(`bl-count-${suffix}`)).toBe(3);
  });

  test("baseline: a 10-message batch pays the four requests per message: 40", async () => {
    const sample = sampleOf(await log.measure(() => baseline.batch(`bl-batch-${suffix}`, 10)));
    expect(sample.requests).toBe(40);
    expect(sample.roundTrips).toBe(40);
    expect(await baseline.count(`bl-batch-${suffix}`)).toBe(10);
  });

  test("the Lambda entry: a sync invoke within 2 round trips, 1 (one PutItem) inside the warm grace; a 10-message batch within 3 requests", async () => {
    for (let i = 1; i <= 3; i++) {
      const measured = await log.measure(() => durable.increment(`dl-count-${suffix}`, 0));
      expect(measured.value).toBe(i);
      const sample = sampleOf(measured);
      if (i === 1) {
        expect(sample.roundTrips).toBe(2);
        expect(sample.ops).toEqual({ UpdateItem: 1, PutItem: 1 });
      } else {
        expect(sample.roundTrips).toBe(1);
        expect(sample.ops).toEqual({ PutItem: 1 });
      }
    }
    const batch = sampleOf(await log.measure(() => durable.batch(`dl-batch-${suffix}`, 10)));
    expect(batch.requests).toBeLessThanOrEqual(3);
    expect(await durable.count(`dl-batch-${suffix}`)).toBe(10);
  });
});
