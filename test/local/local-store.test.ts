import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type LocalPorts, openLocalPorts } from "../../runtime/adapters/local/index.ts";
import type { Lease, TurnCommit } from "../../runtime/ports/actor-store.ts";
import { ManualClock } from "../../runtime/testing/manual-clock.ts";

const DAY = 24 * 60 * 60 * 1000;
let clock: ManualClock;
let ports: LocalPorts;

beforeEach(() => {
  clock = new ManualClock();
  ports = openLocalPorts({ path: ":memory:", clock, historyLimit: 3 });
});
afterEach(() => ports.close());

async function commit(
  actorId: string,
  expectedVersion: number,
  patch: Partial<TurnCommit> = {},
): Promise<void> {
  const now = clock.now();
  const lease: Lease = await ports.store.acquireLease(actorId, "test", 30_000, now);
  await ports.store.commit({
    lease,
    actorType: actorId.split("-")[0] ?? "counter",
    expectedVersion,
    version: expectedVersion + 1,
    state: { n: expectedVersion + 1 },
    timers: {},
    parked: null,
    outbox: [],
    markers: [],
    waiting: null,
    hold: [],
    drained: [],
    release: true,
    now,
    ...patch,
  });
}

describe("local actor store extras", () => {
  test("history lists every committed version of every actor in commit order, resumable by seq", async () => {
    await commit("counter-a", 0);
    await commit("counter-b", 0);
    await commit("counter-a", 1);
    const all = await ports.store.history();
    expect(all.map((e) => [e.actorId, e.version])).toEqual([
      ["counter-a", 1],
      ["counter-b", 1],
      ["counter-a", 2],
    ]);
    expect(all[2]).toMatchObject({ actorType: "counter", state: { n: 2 }, at: clock.now() });
    const after = all[0]?.seq ?? 0;
    expect(
      (await ports.store.history({ afterSeq: after, actorId: "counter-a" })).map((e) => e.version),
    ).toEqual([2]);
    expect(await ports.store.latestSeq()).toBe(all[2]?.seq ?? -1);
  });

  test("history keeps only the newest historyLimit versions per actor", async () => {
    for (let v = 0; v < 5; v++) await commit("counter-a", v);
    await commit("counter-b", 0);
    expect((await ports.store.history({ actorId: "counter-a" })).map((e) => e.version)).toEqual([3, 4, 5]);
    expect((await ports.store.history({ actorId: "counter-b" })).map((e) => e.version)).toEqual([1]);
  });

  test("history pages with limit and never reuses a sequence after pruning", async () => {
    for (let v = 0; v < 6; v++) await commit("counter-a", v);
    const page = await ports.store.history({ limit: 2 });
    expect(page.map((e) => e.version)).toEqual([4, 5]);
    const rest = await ports.store.history({ afterSeq: page[1]?.seq ?? 0 });
    expect(rest.map((e) => e.version)).toEqual([6]);
    expect(rest[0]?.seq).toBe(6);
  });

  test("latestSeq is 0 before anything was committed", async () => {
    expect(await ports.store.latestSeq()).toBe(0);
    expect(await ports.store.history()).toEqual([]);
  });

  test("listActors returns id, type, version and updatedAt sorted by id, filterable by type", async () => {
    await commit("timer-z", 0);
    clock.advance(10);
    await commit("counter-a", 0);
    await commit("counter-a", 1);
    expect(await ports.store.listActors()).toEqual([
      { actorId: "counter-a", actorType: "counter", version: 2, updatedAt: clock.now() },
      { actorId: "timer-z", actorType: "timer", version: 1, updatedAt: clock.now() - 10 },
    ]);
    expect((await ports.store.listActors({ actorType: "timer" })).map((a) => a.actorId)).toEqual(["timer-z"]);
    expect(await ports.store.listActors({ limit: 1 })).toHaveLength(1);
  });

  test("a processed marker still answers a redelivery 14 days after its commit", async () => {
    await commit("counter-a", 0, { markers: [{ messageId: "m1", version: 1, result: { n: 1 } }] });
    clock.advance(14 * DAY - 1);
    for (let v = 1; v < 300; v++) await commit("counter-b", v - 1);
    const loaded = await ports.store.load("counter-a", ["m1"]);
    expect(loaded.processed.get("m1")?.result).toEqual({ n: 1 });
  });

  test("expired markers are pruned lazily by later commits", async () => {
    await commit("counter-a", 0, { markers: [{ messageId: "m1", version: 1 }] });
    clock.advance(15 * DAY);
    for (let v = 1; v < 300; v++) await commit("counter-b", v - 1);
    expect((await ports.store.load("counter-a", ["m1"])).processed.size).toBe(0);
  });

  test("accepts a state over the limit as text when it fits compressed, as the DynamoDB store would", async () => {
    const state = { text: "a".repeat(ports.store.limits.maxStateBytes + 1000) };
    await commit("counter-a", 0, { state });
    expect((await ports.store.read("counter-a"))?.state).toEqual(state);
  });
});
