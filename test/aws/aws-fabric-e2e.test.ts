import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createAwsPorts } from "../../runtime/adapters/aws/create-aws-ports.ts";
import { actor } from "../../runtime/core/actor.ts";
import { Fabric } from "../../runtime/core/fabric.ts";
import { drainQueue } from "../../runtime/core/queue-worker.ts";
import { ManualClock } from "../../runtime/testing/manual-clock.ts";
import { uniqueId } from "../contract/contract-support.ts";
import { emulatorClients, freshQueues, sharedTables, testSettings } from "../support/aws-fabric.ts";
import { dynamoDbLocal } from "../support/dynamodb-local.ts";
import { FakeScheduler } from "../support/fake-scheduler.ts";
import { motoServer } from "../support/moto.ts";
import { motoSignalObserver } from "../support/moto-signal-observer.ts";
import { logRequests } from "../support/request-log.ts";

const counter = actor("counter", {
  state: () => ({ count: 0, fired: 0, log: [] as number[] }),
  handlers: {
    increment(ctx, input: { by?: number } = {}) {
      ctx.state.count += input.by ?? 1;
      return { count: ctx.state.count };
    },
    append(ctx, input: { n: number }) {
      ctx.state.log.push(input.n);
      return null;
    },
    arm(ctx) {
      ctx.setAlarm(2 * 60 * 60 * 1000, { name: "later", data: { why: "test" } });
      return null;
    },
    announce(ctx) {
      ctx.signal("counter.announced", { count: ctx.state.count });
      return null;
    },
  },
  alarm(ctx) {
    ctx.state.fired += 1;
  },
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});
beforeAll(() => Promise.all([emulatorClients(), sharedTables(), motoServer()]), 60_000);

/**
 * The core Fabric on createAwsPorts: DynamoDB Local, fauxqs, moto's EventBridge, and FakeScheduler
 * standing in for EventBridge Scheduler (no emulator fires schedules). No delay queue, so the
 * 2-hour alarm goes through (fake) Scheduler; a manual clock lets the case reach it.
 */
async function awsFabric(warmGraceMs = 0) {
  const [{ sqs }, ddb] = await Promise.all([emulatorClients(), dynamoDbLocal()]);
  const queues = await freshQueues("e2e", { delayQueue: false });
  const observer = await motoSignalObserver();
  cleanups.push(queues.destroy, observer.cleanup);
  const clock = new ManualClock(Math.ceil(Date.now() / 1000) * 1000);
  const fake = new FakeScheduler(sqs, () => queues.queueUrl);
  const dynamodb = ddb.client();
  const ports = createAwsPorts({
    settings: await testSettings(queues, { busName: observer.busName }),
    clients: { dynamodb, sqs, scheduler: fake.client, eventbridge: observer.eventbridge },
    clock,
    deadLetterWaitSeconds: 0,
  });
  const fabric = new Fabric({ ports, actors: [counter], leaseMs: 30_000, warmGraceMs });
  return { fabric, ports, fake, clock, observer, dynamoLog: logRequests(dynamodb) };
}

describe("the core fabric on the aws ports", () => {
  test("a sync call costs DynamoDB two requests in two sequential round trips (three with an id)", async () => {
    const { fabric, dynamoLog } = await awsFabric();
    const actorId = uniqueId("counter");
    const first = await fabric.invoke({ actorId, handler: "increment", input: { by: 2 } });
    expect(first).toMatchObject({ result: { count: 2 }, version: 1 });
    dynamoLog.clear();
    // No id given: nothing can redeliver this call, so no marker is read: the acquire's reply is the load.
    const second = await fabric.invoke({ actorId, handler: "increment", input: { by: 3 } });
    expect(second).toMatchObject({ result: { count: 5 }, version: 2 });
    expect(dynamoLog.commands()).toEqual(["UpdateItemCommand", "PutItemCommand"]);
    expect(dynamoLog.sequentialRoundTrips()).toBe(2);
    dynamoLog.clear();
    // With an idempotency key the marker is read (BatchGetItem) in the same round trip as the lease.
    const third = await fabric.invoke({
      actorId,
      handler: "increment",
      input: { by: 1 },
      messageId: "retry-safe",
    });
    expect(third).toMatchObject({ result: { count: 6 }, version: 3 });
    expect([...dynamoLog.commands()].sort()).toEqual([
      "BatchGetItemCommand",
      "TransactWriteItemsCommand",
      "UpdateItemCommand",
    ]);
    expect(dynamoLog.sequentialRoundTrips()).toBe(2);
  });

  test("inside the warm grace a sync call costs one request in one round trip, with or without an id", async () => {
    const { fabric, dynamoLog, clock } = await awsFabric(50);
    const actorId = uniqueId("counter");
    await fabric.invoke({ actorId, handler: "increment" });
    dynamoLog.clear();
    clock.advance(5);
    expect(await fabric.invoke({ actorId, handler: "increment" })).toMatchObject({ result: { count: 2 } });
    expect(dynamoLog.commands()).toEqual(["PutItemCommand"]);
    dynamoLog.clear();
    clock.advance(5);
    // An id makes the commit a transaction with the marker's conditional Put: still nothing read.
    const keyed = await fabric.invoke({ actorId, handler: "increment", messageId: "warm-1" });
    expect(keyed).toMatchObject({ result: { count: 3 }, version: 3 });
    expect(dynamoLog.commands()).toEqual(["TransactWriteItemsCommand"]);
    expect(dynamoLog.sequentialRoundTrips()).toBe(1);
    // Its repeat is refused by that condition and answered from the marker the usual way.
    const again = await fabric.invoke({ actorId, handler: "increment", messageId: "warm-1" });
    expect(again).toMatchObject({ duplicate: true, result: { count: 3 }, version: 3 });
  });

  test("answers a repeated message id from its marker without applying it again", async () => {
    const { fabric } = await awsFabric();
    const actorId = uniqueId("counter");
    await fabric.invoke({ actorId, handler: "increment", messageId: "once" });
    const again = await fabric.invoke({ actorId, handler: "increment", messageId: "once" });
    expect(again).toMatchObject({ duplicate: true, result: { count: 1 }, version: 1 });
  });

  test("applies async messages through SQS FIFO in send order", async () => {
    const { fabric, ports } = await awsFabric();
    const actorId = uniqueId("counter");
    for (const n of [1, 2, 3, 4, 5])
      await fabric.invoke({ actorId, handler: "append", input: { n }, mode: "async" });
    await drainQueue(fabric, ports.queue);
    expect((await ports.store.read(actorId))?.state).toMatchObject({ log: [1, 2, 3, 4, 5] });
  });

  test("runs an alarm set two hours out when (fake) Scheduler fires it, and only then", async () => {
    const { fabric, ports, fake, clock } = await awsFabric();
    const actorId = uniqueId("counter");
    await fabric.invoke({ actorId, handler: "arm" });
    expect(fake.schedules.size).toBe(1);
    expect(await fake.fireDue(clock.now() + 60 * 60 * 1000)).toBe(0);
    clock.advance(2 * 60 * 60 * 1000);
    expect(await fake.fireDue(clock.now())).toBe(1);
    await drainQueue(fabric, ports.queue);
    const record = await ports.store.read(actorId);
    expect(record?.state).toMatchObject({ fired: 1 });
    expect(record?.timers).toEqual({});
  });

  test("publishes a signal to the EventBridge bus after the turn commits", async () => {
    const { fabric, observer } = await awsFabric();
    const actorId = uniqueId("counter");
    await fabric.invoke({ actorId, handler: "increment", input: { by: 7 } });
    await fabric.invoke({ actorId, handler: "announce" });
    const [published] = await observer.published();
    expect(published).toMatchObject({ source: actorId, type: "counter.announced", detail: { count: 7 } });
  }, 15_000);
});
