import { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalPorts, openLocalPorts } from "../../runtime/adapters/local/index.ts";
import { SCHEMA_VERSION } from "../../runtime/adapters/local/schema.ts";
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
    expect(delivery?.message).toEqual({
      ...timerMessage(due),
      receiveCount: 1,
      sequence: expect.any(String),
    });
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

describe("local timers on a database of schema 1 (timers keyed by name)", () => {
  test("opening it keeps every pending timer and keys timers by id from then on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "durable-timers-"));
    const path = join(dir, "local.db");
    try {
      // The timers table exactly as schema 1 created it, with one pending timer.
      const raw = new Database(path, { create: true });
      raw.run(`CREATE TABLE timers (
        actor_id TEXT NOT NULL, name TEXT NOT NULL, actor_type TEXT NOT NULL, timer_id TEXT NOT NULL,
        at INTEGER NOT NULL, PRIMARY KEY (actor_id, name)) STRICT`);
      raw.run("CREATE INDEX timers_due ON timers (at)");
      raw.run("INSERT INTO timers VALUES ('cron-1', 'tick', 'cron', 'old-id', 5000)");
      raw.run("PRAGMA user_version = 1");
      raw.close();

      const opened = openLocalPorts({ path, clock: new ManualClock(0) });
      try {
        const old: ScheduledTimer = {
          actorId: "cron-1",
          actorType: "cron",
          name: "tick",
          timerId: "old-id",
          at: 5000,
        };
        expect(await opened.timers.pending()).toEqual([old]);
        // A second id under the same name is its own row now, and cancel removes only its id.
        const newer = { ...old, timerId: "new-id", at: 9000 };
        await opened.timers.schedule([newer]);
        expect(await opened.timers.pending("cron-1")).toEqual([old, newer]);
        await opened.timers.cancel([old]);
        expect(await opened.timers.pending("cron-1")).toEqual([newer]);
        expect(await opened.timers.nextDueAt()).toBe(9000);
      } finally {
        opened.close();
      }
      const check = new Database(path);
      expect(check.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version).toBe(
        SCHEMA_VERSION,
      );
      const indexes = check
        .query<{ name: string }, []>(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'timers'",
        )
        .all()
        .map((row) => row.name);
      expect(indexes).toContain("timers_due");
      check.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
