import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalPorts, openLocalPorts } from "../../runtime/adapters/local/index.ts";
import { actor } from "../../runtime/core/actor.ts";
import { Fabric } from "../../runtime/core/fabric.ts";
import type { TurnLogEntry } from "../../runtime/core/turn.ts";
import type { ActorStore } from "../../runtime/ports/actor-store.ts";
import { ManualClock } from "../../runtime/testing/manual-clock.ts";

const counter = actor("counter", {
  state: () => ({ count: 0 }),
  handlers: {
    increment(ctx, input: { by?: number } = {}) {
      ctx.state.count += input.by ?? 1;
      return { count: ctx.state.count };
    },
    get: (ctx) => ({ count: ctx.state.count }),
    fail(ctx) {
      throw new Error(`refused at ${ctx.state.count}`);
    },
  },
});

const GRACE = 50;
const dirs: string[] = [];
const opened: LocalPorts[] = [];
afterEach(() => {
  for (const ports of opened.splice(0)) ports.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Store calls by method: what a turn asked the backend for. */
function counted(store: ActorStore): { store: ActorStore; calls: string[] } {
  const calls: string[] = [];
  const wrapped = new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: wrapped, calls };
}

/** A process on a shared local file: its own connection, owner, warm actors and call log. */
function processOn(path: string, clock: ManualClock, name: string, graceMs = GRACE) {
  const ports = openLocalPorts({ path, clock });
  opened.push(ports);
  const { store, calls } = counted(ports.store);
  const turns: TurnLogEntry[] = [];
  const fabric = new Fabric({
    ports: { ...ports, store },
    actors: [counter],
    owner: name,
    warmGraceMs: graceMs,
    onTurn: (entry) => turns.push(entry),
  });
  return { fabric, calls, turns, ports };
}

function sharedFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "durable-warm-"));
  dirs.push(dir);
  return join(dir, "local.db");
}

describe("the warm path: a process runs its next turn on what it just committed", () => {
  test("a call inside the grace acquires and loads nothing and commits in one write", async () => {
    const clock = new ManualClock();
    const a = processOn(sharedFile(), clock, "a");
    await a.fabric.invoke({ actorId: "counter-1", handler: "increment" });
    expect(a.calls).toEqual(["acquireLease", "load", "commit"]);
    a.calls.length = 0;
    clock.advance(10);
    const second = await a.fabric.invoke({ actorId: "counter-1", handler: "increment" });
    expect(second).toMatchObject({ result: { count: 2 }, version: 2 });
    expect(a.calls).toEqual(["commit"]);
    expect(a.turns.map((t) => t.warm ?? false)).toEqual([false, true]);
  });

  test("the grace is renewed by each warm commit and ends with it: a call after it acquires and loads again", async () => {
    const clock = new ManualClock();
    const a = processOn(sharedFile(), clock, "a");
    for (let i = 0; i < 5; i++) {
      await a.fabric.invoke({ actorId: "counter-1", handler: "increment" });
      clock.advance(GRACE / 2);
    }
    expect(a.turns.filter((t) => t.warm).length).toBe(4);
    clock.advance(GRACE);
    a.calls.length = 0;
    await a.fabric.invoke({ actorId: "counter-1", handler: "increment" });
    expect(a.calls).toEqual(["acquireLease", "load", "commit"]);
  });

  test("another process never waits for a grace: it takes the lease at once, and the first one's next warm write is refused and run again on the new version", async () => {
    const path = sharedFile();
    const clock = new ManualClock();
    const a = processOn(path, clock, "a");
    const b = processOn(path, clock, "b");
    await a.fabric.invoke({ actorId: "counter-1", handler: "increment" });
    const fromB = await b.fabric.invoke({ actorId: "counter-1", handler: "increment" });
    expect(fromB).toMatchObject({ result: { count: 2 } });
    expect(b.turns[0]?.leaseWaitMs).toBe(0);
    a.calls.length = 0;
    const fromA = await a.fabric.invoke({ actorId: "counter-1", handler: "increment" });
    expect(fromA).toMatchObject({ result: { count: 3 }, version: 3 });
    // The refused warm commit, then today's path: acquire, load, commit.
    expect(a.calls).toEqual(["commit", "acquireLease", "load", "commit"]);
    expect((await a.ports.store.read("counter-1"))?.state).toEqual({ count: 3 });
  });

  test("a process that lost an actor to another one stays cold on it for a while", async () => {
    const path = sharedFile();
    const clock = new ManualClock();
    const a = processOn(path, clock, "a");
    const b = processOn(path, clock, "b");
    await a.fabric.invoke({ actorId: "counter-1", handler: "increment" });
    await b.fabric.invoke({ actorId: "counter-1", handler: "increment" });
    await a.fabric.invoke({ actorId: "counter-1", handler: "increment" });
    a.calls.length = 0;
    await a.fabric.invoke({ actorId: "counter-1", handler: "increment" });
    expect(a.calls).toEqual(["acquireLease", "load", "commit"]);
  });

  test("a repeated message id inside the grace is refused by the commit's marker condition and answered from the marker", async () => {
    const clock = new ManualClock();
    const a = processOn(sharedFile(), clock, "a");
    const first = await a.fabric.invoke({ actorId: "counter-1", handler: "increment", messageId: "m-1" });
    const again = await a.fabric.invoke({ actorId: "counter-1", handler: "increment", messageId: "m-1" });
    expect(again).toMatchObject({ duplicate: true, result: first.result, version: 1 });
    expect((await a.ports.store.read("counter-1"))?.version).toBe(1);
  });

  test("a read inside the grace is confirmed by one load; a write by another process is seen, not the memory", async () => {
    const path = sharedFile();
    const clock = new ManualClock();
    const a = processOn(path, clock, "a");
    await a.fabric.invoke({ actorId: "counter-1", handler: "increment" });
    a.calls.length = 0;
    expect(await a.fabric.invoke({ actorId: "counter-1", handler: "get" })).toMatchObject({
      result: { count: 1 },
    });
    expect(a.calls).toEqual(["load"]);
    // Another process writes through the store directly (no fabric of its own that could preempt).
    const other = openLocalPorts({ path, clock });
    opened.push(other);
    const lease = await other.store.acquireLease("counter-1", "intruder", 1_000, clock.now());
    const record = await other.store.read("counter-1");
    await other.store.commit({
      lease,
      actorType: "counter",
      expectedVersion: 1,
      version: 2,
      state: { count: 41 },
      timers: record?.timers ?? {},
      parked: null,
      outbox: [],
      markers: [],
      waiting: null,
      hold: [],
      drained: [],
      release: true,
      now: clock.now(),
    });
    expect(await a.fabric.invoke({ actorId: "counter-1", handler: "get" })).toMatchObject({
      result: { count: 41 },
    });
  });

  test("a failing handler inside the grace answers its error after the same one-load check", async () => {
    const clock = new ManualClock();
    const a = processOn(sharedFile(), clock, "a");
    await a.fabric.invoke({ actorId: "counter-1", handler: "increment" });
    a.calls.length = 0;
    await expect(a.fabric.invoke({ actorId: "counter-1", handler: "fail" })).rejects.toThrow("refused at 1");
    expect(a.calls).toEqual(["load"]);
    expect((await a.fabric.invoke({ actorId: "counter-1", handler: "increment" })).version).toBe(2);
  });

  test("a grace of 0 keeps nothing: every call acquires, loads, commits", async () => {
    const clock = new ManualClock();
    const a = processOn(sharedFile(), clock, "a", 0);
    await a.fabric.invoke({ actorId: "counter-1", handler: "increment" });
    await a.fabric.invoke({ actorId: "counter-1", handler: "increment" });
    expect(a.calls).toEqual(["acquireLease", "load", "commit", "acquireLease", "load", "commit"]);
  });
});
