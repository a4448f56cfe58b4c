import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { pumpDelayQueue, relayDelayedTimers } from "../../runtime/adapters/aws/delay-relay.ts";
import { SchedulerTimers } from "../../runtime/adapters/aws/scheduler-timers.ts";
import { SqsMessageQueue } from "../../runtime/adapters/aws/sqs-message-queue.ts";
import { delayedTimerBody, scheduleName } from "../../runtime/adapters/aws/timer-envelope.ts";
import { RelayFailedError } from "../../runtime/core/errors.ts";
import { timerMessage } from "../../runtime/core/timer-message.ts";
import { type Clock, systemClock } from "../../runtime/ports/clock.ts";
import type { ScheduledTimer } from "../../runtime/ports/timer-scheduler.ts";
import { ManualClock } from "../../runtime/testing/manual-clock.ts";
import { rejectsWith, uniqueId } from "../contract/contract-support.ts";
import { drainQueue, emulatorClients, freshQueues } from "../support/aws-fabric.ts";
import { FakeScheduler } from "../support/fake-scheduler.ts";

const ROLE = "arn:aws:iam::000000000000:role/durable-scheduler";
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});
beforeAll(() => emulatorClients(), 60_000);

/*
 * EventBridge Scheduler has no emulator: FakeScheduler plays the service behind a real
 * SchedulerClient (see test/support/fake-scheduler.ts). SQS is fauxqs, delays run on wall time.
 */
async function timers(options: { clock?: Clock; delayQueue?: boolean; queueArn?: boolean } = {}) {
  const { sqs } = await emulatorClients();
  const queues = await freshQueues("tm", { delayQueue: options.delayQueue ?? true });
  cleanups.push(queues.destroy);
  const clock = options.clock ?? new ManualClock(Math.ceil(Date.now() / 1000) * 1000);
  const fake = new FakeScheduler(sqs, () => queues.queueUrl);
  const scheduler = new SchedulerTimers({
    scheduler: fake.client,
    sqs,
    clock,
    queueUrl: queues.queueUrl,
    queueArn: options.queueArn === false ? undefined : queues.queueArn,
    roleArn: ROLE,
    group: "durable-test",
    dlqArn: queues.timerDlqArn,
    delayQueueUrl: queues.delayQueueUrl,
  });
  const inbox = new SqsMessageQueue({
    client: sqs,
    queueUrl: queues.queueUrl,
    dlqUrl: queues.queueDlqUrl,
    clock,
  });
  return { scheduler, fake, queues, inbox, clock, sqs };
}

const timer = (actorId: string, name: string, at: number, timerId = uniqueId("timer")): ScheduledTimer => ({
  actorId,
  actorType: "cron",
  name,
  timerId,
  at,
});

describe("SchedulerTimers", () => {
  test("creates a one-time at() schedule that deletes itself, retries, dead-letters and targets the actor's group", async () => {
    const { scheduler, fake, queues, clock } = await timers();
    const t = timer(uniqueId("cron"), "nightly", clock.now() + 3_600_000 + 1);
    await scheduler.schedule([t]);
    const [input] = fake.created;
    expect(input).toMatchObject({
      Name: scheduleName(t.actorId, t.timerId),
      GroupName: "durable-test",
      ScheduleExpressionTimezone: "UTC",
      FlexibleTimeWindow: { Mode: "OFF" },
      ActionAfterCompletion: "DELETE",
      Target: {
        Arn: queues.queueArn,
        RoleArn: ROLE,
        SqsParameters: { MessageGroupId: t.actorId },
        DeadLetterConfig: { Arn: queues.timerDlqArn },
        RetryPolicy: {
          MaximumRetryAttempts: expect.any(Number),
          MaximumEventAgeInSeconds: expect.any(Number),
        },
      },
    });
    // One millisecond past a whole second rounds up to the next second: never early.
    const at = new Date(Math.ceil(t.at / 1000) * 1000).toISOString().slice(0, 19);
    expect(input?.ScheduleExpression).toBe(`at(${at})`);
    expect(JSON.parse(input?.Target?.Input ?? "{}")).toMatchObject(timerMessage(t));
  });

  test("names schedules deterministically per (actor, timer id) within Scheduler's 64 characters", () => {
    const longId = `tenant:${"x".repeat(120)}`;
    const timerId = `msg-${"y".repeat(80)}:timer-a very long timer name with spaces-0`;
    const name = scheduleName(longId, timerId);
    expect(name).toMatch(/^[0-9A-Za-z_.-]{1,64}$/);
    expect(scheduleName(longId, timerId)).toBe(name);
    expect(scheduleName(longId, `${timerId}1`)).not.toBe(name);
    expect(scheduleName(`${longId}y`, timerId)).not.toBe(name);
    // The separator keeps (actor, id) pairs that concatenate alike apart.
    expect(scheduleName("a-1", "2:t")).not.toBe(scheduleName("a-12", ":t"));
  });

  test("sends a timer that is already due straight into the actor's FIFO group", async () => {
    const { scheduler, fake, inbox, clock } = await timers();
    const t = timer(uniqueId("due"), "tick", clock.now() - 5);
    await scheduler.schedule([t]);
    expect(fake.created).toEqual([]);
    expect((await drainQueue(inbox)).map((m) => m.id)).toEqual([timerMessage(t).id]);
  });

  test("delivers a timer set again after an early fire, instead of deduplicating it away", async () => {
    const { scheduler, inbox, clock } = await timers();
    const t = timer(uniqueId("again"), "tick", clock.now());
    await scheduler.schedule([t]);
    await scheduler.schedule([t]);
    // Two deliveries of one message id: the turn's processed marker makes the second a no-op.
    expect((await drainQueue(inbox)).map((m) => m.id)).toEqual([timerMessage(t).id, timerMessage(t).id]);
  });

  test("sends a timer under 15 minutes through the delay queue and relays it when due, not before", async () => {
    const { scheduler, fake, inbox, queues, sqs } = await timers({ clock: systemClock });
    const t = timer(uniqueId("near"), "soon", Date.now() + 1500);
    await scheduler.schedule([t]);
    expect(fake.created).toEqual([]);
    const relay = {
      sqs,
      clock: systemClock,
      queueUrl: queues.queueUrl,
      delayQueueUrl: queues.delayQueueUrl ?? "",
    };
    let delivered: string[] = [];
    for (let i = 0; i < 40 && delivered.length === 0; i++) {
      await pumpDelayQueue(relay);
      delivered = (await drainQueue(inbox)).map((m) => m.id);
      if (delivered.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(Date.now()).toBeGreaterThanOrEqual(t.at);
    expect(delivered).toEqual([timerMessage(t).id]);
  });

  test("puts a delay-queue timer that is not yet due back with the remaining delay", async () => {
    const { inbox, queues, sqs, clock } = await timers();
    const t = timer(uniqueId("later"), "far", clock.now() + 20 * 60_000);
    const relay = { sqs, clock, queueUrl: queues.queueUrl, delayQueueUrl: queues.delayQueueUrl ?? "" };
    await relayDelayedTimers([{ messageId: "d1", body: delayedTimerBody(t) }], relay);
    expect(await drainQueue(inbox)).toEqual([]);
    // Capped at SQS's 15-minute maximum delay: it waits in the delay queue, invisible for now.
    expect(await pumpDelayQueue(relay)).toBe(0);
  });

  test("keeps a schedule that already holds the same timer (a replayed relay) without touching it", async () => {
    const { scheduler, fake, clock } = await timers({ delayQueue: false });
    const t = timer(uniqueId("replay"), "tick", clock.now() + 60_000);
    await scheduler.schedule([t]);
    await scheduler.schedule([t]);
    expect(fake.created).toHaveLength(1);
    expect(fake.schedules.size).toBe(1);
    expect(fake.calls.map((call) => call.operation)).toEqual(["create", "create"]);
  });

  test("gives a new timer id under a name its own schedule; a late relay of the old id leaves the new one", async () => {
    const { scheduler, fake, clock } = await timers({ delayQueue: false });
    const actorId = uniqueId("race");
    const old = timer(actorId, "tick", clock.now() + 60_000, "old");
    const newer = timer(actorId, "tick", clock.now() + 90_000, "new");
    // Turn N+1's relay (cancel the replaced id, schedule its own) lands before turn N's.
    await scheduler.cancel([old]);
    await scheduler.schedule([newer]);
    await scheduler.schedule([old]);
    const byTimerId = new Map(
      [...fake.schedules.values()].map((s) => [JSON.parse(s.input.Target?.Input ?? "{}").timer.timerId, s]),
    );
    expect([...byTimerId.keys()].sort()).toEqual(["new", "old"]);
    expect(byTimerId.get("new")?.at).toBe(Math.ceil(newer.at / 1000) * 1000);
  });

  test("cancel deletes exactly its timer id's schedule, without reading it first", async () => {
    const { scheduler, fake, clock } = await timers({ delayQueue: false });
    const actorId = uniqueId("cancel");
    const old = timer(actorId, "tick", clock.now() + 60_000, "old");
    const newer = timer(actorId, "tick", clock.now() + 90_000, "new");
    await scheduler.schedule([old, newer]);
    fake.calls.length = 0;
    await scheduler.cancel([old]);
    // Already gone (a replayed cancel, a fired or never-created schedule) counts as cancelled.
    await scheduler.cancel([old]);
    expect(fake.calls).toEqual([
      { operation: "delete", name: scheduleName(actorId, "old") },
      { operation: "delete", name: scheduleName(actorId, "old") },
    ]);
    expect([...fake.schedules.values()].map((s) => s.input.Name)).toEqual([scheduleName(actorId, "new")]);
  });

  test("schedules two timer ids of one name in one call separately, and one id once", async () => {
    const { scheduler, fake, clock } = await timers({ delayQueue: false });
    const actorId = uniqueId("batch");
    const second = timer(actorId, "tick", clock.now() + 70_000, "second");
    await scheduler.schedule([timer(actorId, "tick", clock.now() + 60_000, "first"), second, second]);
    expect(fake.created.map((input) => input.Name).sort()).toEqual(
      [scheduleName(actorId, "first"), scheduleName(actorId, "second")].sort(),
    );
  });

  test("fails a far timer clearly when the queue ARN Scheduler needs is not configured", async () => {
    const { scheduler, clock } = await timers({ delayQueue: false, queueArn: false });
    const error = await rejectsWith(
      scheduler.schedule([timer(uniqueId("x"), "t", clock.now() + 60_000)]),
      RelayFailedError,
    );
    expect(error.message).toContain("DURABLE_QUEUE_ARN");
  });
});
