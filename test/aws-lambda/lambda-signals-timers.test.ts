import { describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import type { EventBridgeEvent } from "aws-lambda";
import type { SignalDetail } from "../../runtime/adapters/aws/eventbridge-signal-bus.ts";
import {
  type FarTimersFake,
  lambdaContext,
  lambdaFixture,
  receive,
  recordsFrom,
  signalEvent,
  sqsEvent,
} from "./lambda-support.ts";

describe("lambda entry: signals and timers", () => {
  test("an EventBridge signal is routed into the subscribing actor's FIFO group once, and applies from there", async () => {
    const f = await lambdaFixture("signal");
    const region = `eu${randomUUID().slice(0, 6)}`;
    const event = signalEvent("order.paid", { orderId: "o-1", region });
    expect(await f.handler(event, lambdaContext())).toEqual({ signalId: event.detail.id, routed: 1 });
    // EventBridge delivers at least once: the repeat carries the same signal id and is deduplicated.
    expect(await f.handler({ ...event, id: randomUUID() }, lambdaContext())).toEqual({
      signalId: event.detail.id,
      routed: 1,
    });

    const queued = await receive(f.sqs, f.settings.queueUrl);
    expect(queued).toHaveLength(1);
    expect(queued[0]?.Attributes?.MessageGroupId).toBe(`shipping-${region}`);
    expect(JSON.parse(queued[0]?.Body ?? "{}")).toMatchObject({
      id: `${event.detail.id}>shipping`,
      handler: "ship",
      kind: "signal",
    });
    expect(
      await f.handler(sqsEvent(recordsFrom(queued, f.settings.queueArn ?? "")), lambdaContext()),
    ).toEqual({ batchItemFailures: [] });
    expect(await f.ports.store.read(`shipping-${region}`)).toMatchObject({
      version: 1,
      state: { shipped: ["o-1"] },
    });
    expect(await receive(f.sqs, f.settings.queueUrl)).toEqual([]);
  }, 60_000);

  test("a signal nobody subscribes to routes nothing; an event that is not a Durable signal is logged and dropped, not retried", async () => {
    const f = await lambdaFixture("signal-none");
    const none = signalEvent("order.cancelled", { orderId: "o-2" });
    expect(await f.handler(none, lambdaContext())).toEqual({ signalId: none.detail.id, routed: 0 });
    const foreign: EventBridgeEvent<string, SignalDetail> = {
      ...signalEvent("order.paid", { region: "eu" }),
      source: "aws.s3",
    };
    expect(await f.handler(foreign, lambdaContext())).toEqual({ signalId: foreign.id, routed: 0 });
    const broken = {
      ...signalEvent("order.paid", { region: "eu" }),
      detail: { nope: true },
    } as unknown as EventBridgeEvent<string, SignalDetail>;
    expect(await f.handler(broken, lambdaContext())).toEqual({ signalId: broken.id, routed: 0 });
    expect(f.json().filter((l) => l.message === "dropping an event that is not a valid signal")).toHaveLength(
      2,
    );
    expect(await receive(f.sqs, f.settings.queueUrl)).toEqual([]);
  }, 60_000);

  test("a timer under 15 minutes waits in the delay queue, is relayed into the actor's FIFO group and fires the alarm once", async () => {
    const f = await lambdaFixture("timer-near");
    const actorId = `reminder-${randomUUID().slice(0, 8)}`;
    const set = await f.handler(
      { type: "durable.invoke", actorId, handler: "remind", input: { inMs: 1_000 } },
      lambdaContext(),
    );
    expect(set).toMatchObject({ ok: true, version: 1 });
    expect((f.ports.timers as FarTimersFake).far).toEqual([]);

    const delayed = await receive(f.sqs, f.settings.delayQueueUrl ?? "", 5);
    expect(delayed).toHaveLength(1);
    const delayRecords = recordsFrom(delayed, f.delayQueueArn);
    expect(await f.handler(sqsEvent(delayRecords), lambdaContext())).toEqual({ batchItemFailures: [] });
    // The same delay-queue record delivered again relays under the same deduplication id.
    expect(await f.handler(sqsEvent(delayRecords), lambdaContext())).toEqual({ batchItemFailures: [] });

    const fired = await receive(f.sqs, f.settings.queueUrl);
    expect(fired).toHaveLength(1);
    expect(fired[0]?.Attributes?.MessageGroupId).toBe(actorId);
    expect(await f.handler(sqsEvent(recordsFrom(fired, f.settings.queueArn ?? "")), lambdaContext())).toEqual(
      { batchItemFailures: [] },
    );
    expect(await f.ports.store.read(actorId)).toMatchObject({
      version: 2,
      state: { fired: 1, set: 1 },
      timers: {},
    });
    expect(f.json().find((l) => l.Source === "delay-queue")).toMatchObject({ TimersRelayed: 1 });
  }, 60_000);

  test("a timer 15 minutes or more away goes to EventBridge Scheduler (an in-process fake at the TimerScheduler port: Scheduler has no emulator)", async () => {
    const f = await lambdaFixture("timer-far");
    const actorId = `reminder-${randomUUID().slice(0, 8)}`;
    const set = await f.handler(
      { type: "durable.invoke", actorId, handler: "remind", input: { inMs: 3_600_000 } },
      lambdaContext(),
    );
    expect(set).toMatchObject({ ok: true });
    expect((f.ports.timers as FarTimersFake).far).toMatchObject([
      { actorId, name: "nudge", actorType: "reminder" },
    ]);
    expect(await receive(f.sqs, f.settings.delayQueueUrl ?? "")).toEqual([]);
  }, 60_000);
});
