import { describe, expect, test } from "bun:test";
import { timerMessage } from "../../runtime/core/timer-message.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import type { ScheduledTimer, TimerScheduler } from "../../runtime/ports/timer-scheduler.ts";
import { uniqueId, useFixture } from "./contract-support.ts";

export interface TimerSchedulerFixture {
  scheduler: TimerScheduler;
  /**
   * Does what the backend does once time reaches `now` (the local timer loop's pass, or an
   * in-process stand-in for EventBridge Scheduler) and returns the messages it delivered.
   */
  fire(now: number): Promise<ActorMessage[]>;
  /** Where a case's time starts. */
  now(): number;
  /**
   * False when a cancelled timer may still fire (a delay queue cannot take a message back); the
   * turn filters such fires by timer id. Default true.
   */
  exactCancel?: boolean;
  cleanup(): Promise<void>;
}

/**
 * The TimerScheduler contract (DESIGN §2.6): at least once, never early, each timer id scheduled
 * on its own. Names are the core's concern: relays of consecutive turns may reach the scheduler in
 * any order, so no schedule or cancel of one id may ever remove or move another.
 * @example timerSchedulerContract("local", async () => ({ scheduler, fire, now: () => clock.now(), cleanup }));
 */
export function timerSchedulerContract(
  backend: string,
  makeTimers: () => Promise<TimerSchedulerFixture>,
): void {
  const name = (what: string) => `${what} [${backend}]`;

  describe(`TimerScheduler contract [${backend}]`, () => {
    const fixture = useFixture(makeTimers);
    const timer = (actorId: string, timerName: string, timerId: string, at: number): ScheduledTimer => ({
      actorId,
      actorType: "cron",
      name: timerName,
      timerId,
      at,
    });
    const firedFor = async (actorId: string, now: number) =>
      (await fixture().fire(now)).filter((message) => message.actorId === actorId);
    const timerIds = (messages: readonly ActorMessage[]) => messages.map((message) => message.timer?.timerId);

    test(
      name("never fires a timer before its time and fires it at its time as timerMessage(timer)"),
      async () => {
        const { scheduler, now } = fixture();
        const t0 = now();
        const scheduled = timer(uniqueId("t"), "tick", uniqueId("timer"), t0 + 10_000);
        await scheduler.schedule([scheduled]);
        expect(await firedFor(scheduled.actorId, t0)).toEqual([]);
        expect(await firedFor(scheduled.actorId, scheduled.at - 1)).toEqual([]);
        const fired = await firedFor(scheduled.actorId, scheduled.at);
        expect(fired.length).toBeGreaterThanOrEqual(1);
        for (const message of fired) expect(message).toMatchObject(timerMessage(scheduled));
      },
    );

    test(name("fires a due timer at least once when time has moved well past it"), async () => {
      const { scheduler, now } = fixture();
      const scheduled = timer(uniqueId("t"), "late", uniqueId("timer"), now() + 1000);
      await scheduler.schedule([scheduled]);
      const fired = await firedFor(scheduled.actorId, scheduled.at + 3_600_000);
      expect(fired.map((message) => message.id)).toContain(timerMessage(scheduled).id);
    });

    test(
      name("keeps two timer ids under one name scheduled, each firing at its own time, until cancelled"),
      async () => {
        const { scheduler, now } = fixture();
        const t0 = now();
        const actorId = uniqueId("t");
        const first = timer(actorId, "tick", uniqueId("first"), t0 + 10_000);
        const second = timer(actorId, "tick", uniqueId("second"), t0 + 20_000);
        await scheduler.schedule([first]);
        await scheduler.schedule([second]);
        expect(await firedFor(actorId, first.at - 1)).toEqual([]);
        const atFirst = timerIds(await firedFor(actorId, first.at));
        expect(atFirst).toContain(first.timerId);
        expect(atFirst).not.toContain(second.timerId);
        expect(timerIds(await firedFor(actorId, second.at))).toContain(second.timerId);
      },
    );

    test(
      name("a late schedule of an old timer id, after its cancel, never removes or delays the newer one"),
      async () => {
        const { scheduler, now } = fixture();
        const t0 = now();
        const actorId = uniqueId("t");
        const old = timer(actorId, "tick", uniqueId("old"), t0 + 5_000);
        const newer = timer(actorId, "tick", uniqueId("new"), t0 + 10_000);
        // Turn N+1's relay lands first: it cancels the id it replaced (not scheduled anywhere yet)
        // and schedules its own; then turn N's stalled relay schedules the old id.
        await scheduler.cancel([old]);
        await scheduler.schedule([newer]);
        await scheduler.schedule([old]);
        // The old id may still fire: it was scheduled after its cancel, and the turn drops it as stale.
        const before = timerIds(await firedFor(actorId, newer.at - 1));
        for (const id of before) expect(id).toBe(old.timerId);
        expect(timerIds(await firedFor(actorId, newer.at))).toContain(newer.timerId);
      },
    );

    test(name("keeps several named timers of one actor apart, each firing at its own time"), async () => {
      const { scheduler, now } = fixture();
      const t0 = now();
      const actorId = uniqueId("t");
      const a = timer(actorId, "a", uniqueId("a"), t0 + 1000);
      const b = timer(actorId, "b", uniqueId("b"), t0 + 5000);
      await scheduler.schedule([a, b]);
      const first = timerIds(await firedFor(actorId, a.at));
      expect(first).toContain(a.timerId);
      expect(first).not.toContain(b.timerId);
      expect(timerIds(await firedFor(actorId, b.at))).toContain(b.timerId);
    });

    test(name("cancel removes a pending timer"), async () => {
      const { scheduler, now, exactCancel = true } = fixture();
      const scheduled = timer(uniqueId("t"), "tick", uniqueId("timer"), now() + 1000);
      await scheduler.schedule([scheduled]);
      await scheduler.cancel([scheduled]);
      const fired = await firedFor(scheduled.actorId, scheduled.at + 60_000);
      if (exactCancel) expect(fired).toEqual([]);
      else for (const message of fired) expect(message.timer?.timerId).toBe(scheduled.timerId);
    });

    test(name("cancel removes only its own timer id, not others of its name or actor"), async () => {
      const { scheduler, now, exactCancel = true } = fixture();
      const t0 = now();
      const actorId = uniqueId("t");
      const old = timer(actorId, "tick", uniqueId("old"), t0 + 1000);
      const replacement = timer(actorId, "tick", uniqueId("new"), t0 + 2000);
      const other = timer(actorId, "other", uniqueId("other"), t0 + 1500);
      await scheduler.schedule([old, replacement, other]);
      await scheduler.cancel([old]);
      // Replaying the cancel, or cancelling an id never scheduled, is harmless.
      await scheduler.cancel([old, timer(actorId, "tick", uniqueId("never"), t0)]);
      const fired = timerIds(await firedFor(actorId, replacement.at));
      expect(fired).toContain(replacement.timerId);
      expect(fired).toContain(other.timerId);
      if (exactCancel) expect(fired).not.toContain(old.timerId);
    });

    test(
      name("fires a timer scheduled twice (a replayed relay) at least once under one message id"),
      async () => {
        const { scheduler, now } = fixture();
        const scheduled = timer(uniqueId("t"), "tick", uniqueId("timer"), now() + 1000);
        await scheduler.schedule([scheduled]);
        await scheduler.schedule([scheduled]);
        const fired = await firedFor(scheduled.actorId, scheduled.at);
        expect(fired.length).toBeGreaterThanOrEqual(1);
        expect(new Set(fired.map((message) => message.id))).toEqual(new Set([timerMessage(scheduled).id]));
      },
    );

    test(name("fires the due timers of several actors in one pass"), async () => {
      const { scheduler, now } = fixture();
      const t0 = now();
      const timers = [1, 2, 3].map((n) => timer(uniqueId(`t${n}`), "tick", uniqueId("timer"), t0 + n * 100));
      await scheduler.schedule(timers);
      const fired = await fixture().fire(t0 + 1000);
      for (const scheduled of timers)
        expect(fired.map((message) => message.id)).toContain(timerMessage(scheduled).id);
    });
  });
}
