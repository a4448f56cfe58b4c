import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type LocalPorts, openLocalPorts } from "../../runtime/adapters/local/index.ts";
import { timerMessage } from "../../runtime/core/timer-message.ts";
import { systemClock } from "../../runtime/ports/clock.ts";
import type { ScheduledTimer } from "../../runtime/ports/timer-scheduler.ts";
import { ManualClock } from "../../runtime/testing/manual-clock.ts";

let clock: ManualClock;
let ports: LocalPorts;

beforeEach(() => {
  clock = new ManualClock();
  ports = openLocalPorts({ path: ":memory:", clock });
});
afterEach(() => ports.close());

const timer = (actorId: string, name: string, at: number): ScheduledTimer => ({
  actorId,
  actorType: "cron",
  name,
  timerId: `${actorId}-${name}-${at}`,
  at,
});

describe("local timers", () => {
  test("a fired timer lands in its actor's queue as timerMessage(timer) and fires only once", async () => {
    const due = timer("cron-1", "tick", clock.now() + 1000);
    await ports.timers.schedule([due]);
    await ports.timers.fireDueTimers(due.at);
    expect(await ports.timers.fireDueTimers(due.at + 5000)).toEqual([]);
    const [delivery, ...rest] = await ports.queue.receive({ maxMessages: 10, visibilityTimeoutMs: 1000 });
    expect(rest).toEqual([]);
    expect(delivery?.message).toEqual({ ...timerMessage(due), receiveCount: 1 });
  });

  test("nextDueAt and pending show the soonest timer first; none when empty", async () => {
    expect(await ports.timers.nextDueAt()).toBeNull();
    const later = timer("cron-1", "b", clock.now() + 5000);
    const sooner = timer("cron-2", "a", clock.now() + 1000);
    await ports.timers.schedule([later, sooner]);
    expect(await ports.timers.nextDueAt()).toBe(sooner.at);
    expect(await ports.timers.pending()).toEqual([sooner, later]);
    expect(await ports.timers.pending("cron-1")).toEqual([later]);
  });

  test("a timer that fires again after its message was handled is not delivered twice", async () => {
    const due = timer("cron-1", "tick", clock.now());
    await ports.timers.schedule([due]);
    await ports.timers.fireDueTimers(due.at);
    await ports.queue.ack(await ports.queue.receive({ maxMessages: 1, visibilityTimeoutMs: 1000 }));
    await ports.timers.schedule([due]);
    await ports.timers.fireDueTimers(due.at);
    expect(await ports.queue.receive({ maxMessages: 1, visibilityTimeoutMs: 1000 })).toEqual([]);
  });

  test("the timer loop fires a timer on the system clock soon after it is due, never before", async () => {
    const real = openLocalPorts({ path: ":memory:", clock: systemClock });
    const fired: number[] = [];
    const loop = real.timerLoop({ intervalMs: 20, onFire: () => fired.push(Date.now()) });
    const due = timer("cron-1", "tick", Date.now() + 80);
    await real.timers.schedule([due]);
    loop.start();
    await Bun.sleep(300);
    await loop.stop();
    real.close();
    expect(fired).toHaveLength(1);
    expect(fired[0] ?? 0).toBeGreaterThanOrEqual(due.at);
    expect((fired[0] ?? Number.POSITIVE_INFINITY) - due.at).toBeLessThan(150);
  });

  test("the timer loop reports a failing tick and keeps running", async () => {
    const closed = openLocalPorts({ path: ":memory:", clock: systemClock });
    const errors: unknown[] = [];
    const loop = closed.timerLoop({ intervalMs: 10, onError: (error) => errors.push(error) });
    closed.close();
    loop.start();
    await Bun.sleep(50);
    await loop.stop();
    expect(errors.length).toBeGreaterThan(1);
  });
});
