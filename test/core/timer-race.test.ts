import { afterEach, describe, expect, test } from "bun:test";
import { Fabric } from "../../runtime/core/fabric.ts";
import type { JsonValue } from "../../runtime/core/json.ts";
import { actor, client } from "../../runtime/index.ts";
import type { TimerScheduler } from "../../runtime/ports/timer-scheduler.ts";
import { createTestFabric, type TestFabric } from "../../runtime/testing.ts";

/*
 * The relay of a turn's outbox runs after the commit released the lease, so the relays of two
 * consecutive turns of one actor (in two processes) can land at the scheduler in either order.
 * These cases replay the bad order through the real turn and relay: the newer timer must still
 * fire, exactly once, and the older one must do nothing.
 */

const reminder = actor("reminder", {
  state: () => ({ fired: [] as { name: string; scheduledAt: number; data: JsonValue }[] }),
  handlers: {
    set(ctx, input: { name: string; delayMs: number; label: string }) {
      ctx.setAlarm(input.delayMs, { name: input.name, data: { label: input.label } });
    },
  },
  alarm(ctx, timer) {
    ctx.state.fired.push({ name: timer.name, scheduledAt: timer.scheduledAt, data: timer.data });
  },
});

let fabric: TestFabric;
afterEach(() => fabric?.close());

/** A scheduler whose first `schedule` call waits until `release()`: a relay stalled after its commit. */
function stalledFirstSchedule(inner: TimerScheduler) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let entered!: () => void;
  const stalled = new Promise<void>((resolve) => {
    entered = resolve;
  });
  let calls = 0;
  const timers: TimerScheduler = {
    async schedule(batch) {
      if (calls++ === 0) {
        entered();
        await released;
      }
      await inner.schedule(batch);
    },
    cancel: (batch) => inner.cancel(batch),
  };
  return { timers, stalled, release };
}

describe("timer relays of consecutive turns interleaving", () => {
  test("a late relay of a replaced timer neither removes nor delays the timer that replaced it", async () => {
    fabric = createTestFabric({ actors: [reminder] });
    const t0 = fabric.clock.now();
    // "Process A": the same database, but its relay of turn N stalls after the commit.
    const gate = stalledFirstSchedule(fabric.ports.timers);
    const processA = new Fabric({
      ports: { ...fabric.ports, timers: gate.timers },
      actors: [reminder],
      owner: "process-a",
    });
    const turnN = client(reminder, processA)
      .get("reminder-1")
      .set({ name: "a", delayMs: 1_000, label: "old" });
    await gate.stalled; // turn N committed and released the lease; its timer.set is not relayed yet

    // "Process B": turn N+1 replaces timer "a" and relays everything before A's relay resumes.
    await client(reminder, fabric).get("reminder-1").set({ name: "a", delayMs: 5_000, label: "new" });
    const record = await fabric.state("reminder-1");
    const newer = record?.timers.a;
    expect(newer?.at).toBe(t0 + 5_000);

    gate.release();
    await turnN; // the stale relay of the old timer lands last
    const pending = (await fabric.ports.timers.pending("reminder-1")).map((t) => t.timerId);
    expect(pending).toContain(newer?.timerId ?? "");

    await fabric.advance(4_999);
    expect((await fabric.state("reminder-1"))?.state).toEqual({ fired: [] });
    await fabric.advance(1);
    await fabric.advance(60_000);
    const after = await fabric.state("reminder-1");
    expect(after?.state).toEqual({ fired: [{ name: "a", scheduledAt: t0 + 5_000, data: { label: "new" } }] });
    expect(after?.timers).toEqual({});
    expect(await fabric.ports.timers.pending("reminder-1")).toEqual([]);
  });

  test("replacing a timer relays a cancel of the old timer id, so only the new one stays scheduled", async () => {
    fabric = createTestFabric({ actors: [reminder] });
    const t0 = fabric.clock.now();
    const r = client(reminder, fabric).get("reminder-2");
    await r.set({ name: "a", delayMs: 1_000, label: "old" });
    await r.set({ name: "a", delayMs: 2_000, label: "new" });
    const current = (await fabric.state("reminder-2"))?.timers.a;
    const pending = await fabric.ports.timers.pending("reminder-2");
    expect(pending.map((t) => t.timerId)).toEqual([current?.timerId ?? ""]);
    await fabric.advance(10_000);
    expect((await fabric.state("reminder-2"))?.state).toEqual({
      fired: [{ name: "a", scheduledAt: t0 + 2_000, data: { label: "new" } }],
    });
  });
});
