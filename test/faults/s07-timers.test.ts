import { describe, expect, test } from "bun:test";
import { actor } from "../../runtime/core/actor.ts";
import { drainQueue } from "../../runtime/core/queue-worker.ts";
import { timerMessage } from "../../runtime/core/timer-message.ts";
import { ManualClock } from "../../runtime/testing/manual-clock.ts";
import { BACKENDS, openEnvironment } from "./backends.ts";
import { freshId } from "./scenario-kit.ts";
import { SEEDS, seedTag } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 7. Timers fired early, twice, late, and racing a cancel. The clock port moves time; on
 * aws every timer is 20+ minutes out, so it goes through EventBridge Scheduler, which has no
 * emulator: FakeScheduler stands in at the TimerScheduler's SDK client and delivers due schedules
 * into the fauxqs FIFO queue as Scheduler would. Duplicate and stray fires are delivered straight
 * to the turn and through the queue, as an at-least-once scheduler would deliver them.
 */
const MINUTE = 60_000;

type Fired = { name: string; at: number; scheduledAt: number };

const alarmist = actor("alarmist", {
  state: () => ({ fired: [] as Fired[] }),
  handlers: {
    set(ctx, input: { name: string; delayMs: number }) {
      return ctx.setAlarm(input.delayMs, { name: input.name });
    },
    cancel(ctx, input: { name: string }) {
      ctx.cancelAlarm(input.name);
    },
  },
  alarm(ctx, timer) {
    ctx.state.fired.push({ name: timer.name, at: ctx.now, scheduledAt: timer.scheduledAt });
  },
});

for (const backend of BACKENDS) {
  describe(`[${backend}] timers fired twice, late and racing a cancel`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] an early fire waits, a double fire runs once, a late fire runs once, a cancelled or cancel-raced timer does nothing${seedTag(seed)}`, async () => {
        const clock = new ManualClock(Math.ceil(Date.now() / 1000) * 1000);
        const start = clock.now();
        const env = await openEnvironment(backend, { label: "s07", seed, clock });
        try {
          const w = await env.worker({ name: `s07-${backend}`, actors: [alarmist], clock });
          const actorId = freshId("alarmist");
          const drain = () => drainQueue(w.fabric, w.ports.queue);
          const set = async (name: string, delayMs: number) => {
            const response = await w.fabric.invoke({ actorId, handler: "set", input: { name, delayMs } });
            return {
              actorId,
              actorType: "alarmist",
              name,
              timerId: String(response.result),
              at: clock.now() + delayMs,
            };
          };
          const cancel = (name: string) => w.fabric.invoke({ actorId, handler: "cancel", input: { name } });
          let operations = 0;
          const deliver = async (timer: Awaited<ReturnType<typeof set>>) => {
            operations++;
            await w.fabric.applyBatch([timerMessage(timer)]);
          };

          const [a, b, c, d] = [
            await set("a", 20 * MINUTE),
            await set("b", 20 * MINUTE),
            await set("c", 20 * MINUTE),
            await set("d", 20 * MINUTE),
          ];
          const e = await set("e", 40 * MINUTE);
          clock.set(start + 10_000);
          await deliver(a); // early: must not run
          const afterEarly = await w.raw.store.read(actorId);
          clock.set(start + MINUTE);
          await cancel("d");
          clock.set(start + 20 * MINUTE + 1_000);
          const dueFires = await env.fireTimers(clock.now());
          operations += dueFires;
          await cancel("c"); // c's fire is already on its way
          await drain();
          await deliver(a); // a second fire of a
          await w.ports.queue.send([timerMessage(b)]); // a second fire of b, through the queue
          await drain();
          await deliver(c); // stray fires of the cancelled timers
          await deliver(d);
          clock.set(start + 3 * 60 * MINUTE);
          operations += await env.fireTimers(clock.now()); // e fires 2h20m late
          await drain();
          await deliver(e);

          const record = await w.raw.store.read(actorId);
          const fired = (record?.state as { fired: Fired[] } | undefined)?.fired ?? [];
          const count = (name: string) => fired.filter((f) => f.name === name).length;
          recordRun("timers fired twice, late and racing a cancel", backend, {
            operations,
            lost: ["a", "b", "e"].filter((n) => count(n) === 0).length,
            duplicated:
              ["a", "b", "e"].reduce((n, name) => n + Math.max(0, count(name) - 1), 0) +
              count("c") +
              count("d"),
          });

          // a, b and c were fired (c's fire raced its cancel); d's cancel reached the scheduler first.
          expect(dueFires).toBe(3);
          expect((afterEarly?.state as { fired: Fired[] } | undefined)?.fired).toEqual([]);
          expect(fired.map((f) => f.name).sort()).toEqual(["a", "b", "e"]);
          for (const f of fired) expect(f.at).toBeGreaterThanOrEqual(f.scheduledAt);
          const late = fired.find((f) => f.name === "e");
          expect((late?.at ?? 0) - (late?.scheduledAt ?? 0)).toBeGreaterThanOrEqual(2 * 60 * MINUTE);
          expect(record?.timers).toEqual({});
        } finally {
          await env.close();
        }
      });
  });
}
