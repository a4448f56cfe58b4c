import { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type LocalPorts, openLocalPorts } from "../../runtime/adapters/local/index.ts";
import type { TurnCommit } from "../../runtime/ports/actor-store.ts";
import type { FleetQuery } from "../../runtime/ports/fleet-index.ts";
import type { ParkedRecord } from "../../runtime/ports/messages.ts";
import { ManualClock } from "../../runtime/testing/manual-clock.ts";
import { turnCommit } from "../contract/actor-store-support.ts";
import { tempDir } from "../support/temp-dir.ts";

let clock: ManualClock;
let ports: LocalPorts;
const PARKED: ParkedRecord = {
  messageId: "m-1",
  handler: "increment",
  at: 0,
  error: { name: "Error", code: "HANDLER_FAILED", message: "boom" },
};

beforeEach(() => {
  clock = new ManualClock();
  ports = openLocalPorts({ path: ":memory:", clock });
});
afterEach(() => ports.close());

async function commit(actorId: string, version: number, patch: Partial<TurnCommit> = {}): Promise<void> {
  const now = clock.now();
  const lease = await ports.store.acquireLease(actorId, "test", 30_000, now);
  const actorType = actorId.split("-")[0] ?? "counter";
  await ports.store.commit(turnCommit(lease, version, now, { actorType, release: true, ...patch }));
}

async function listAll(query: Omit<FleetQuery, "cursor">): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await ports.fleet.list({ ...query, cursor });
    ids.push(...page.actors.map((a) => a.actorId));
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);
  return ids;
}

describe("local fleet listing", () => {
  test("each actor's type, version, last active, parked flag, next timer and waiting count, as its last commit left them", async () => {
    await commit("counter-1", 0);
    clock.advance(1000);
    await commit("counter-1", 1, {
      timers: { b: { timerId: "tb", at: 90_000 }, a: { timerId: "ta", at: 50_000 } },
      parked: { ...PARKED, at: clock.now() },
      waiting: { count: 2, through: "0002", headFailures: 0 },
    });
    const page = await ports.fleet.list({ limit: 10 });
    expect(page).toEqual({
      actors: [
        {
          actorId: "counter-1",
          actorType: "counter",
          version: 2,
          updatedAt: clock.now(),
          parked: true,
          nextTimerAt: 50_000,
          waiting: 2,
        },
      ],
      next: null,
    });
  });

  test("parked first, then by type, newest first; filters by type, parked and id prefix, as on AWS", async () => {
    for (const id of ["counter-a", "counter-b", "timer-a", "counter-c", "timer-b"]) {
      await commit(id, 0, { parked: id.endsWith("-b") ? { ...PARKED, at: clock.now() } : null });
      clock.advance(10);
    }
    expect(await listAll({ limit: 2 })).toEqual([
      "counter-b",
      "timer-b",
      "counter-c",
      "counter-a",
      "timer-a",
    ]);
    expect(await listAll({ actorType: "counter", limit: 1 })).toEqual([
      "counter-b",
      "counter-c",
      "counter-a",
    ]);
    expect(await listAll({ parked: true, limit: 10 })).toEqual(["counter-b", "timer-b"]);
    expect(await listAll({ parked: true, actorType: "timer", limit: 10 })).toEqual(["timer-b"]);
    expect(await listAll({ idPrefix: "timer-", limit: 10 })).toEqual(["timer-b", "timer-a"]);
  });

  test("a cursor of other filters, or not from a listing, is refused with INVALID_INPUT", async () => {
    for (const id of ["counter-a", "counter-b"]) await commit(id, 0);
    const page = await ports.fleet.list({ limit: 1 });
    const other = await ports.fleet.list({ limit: 1, parked: true, cursor: page.next ?? "" }).catch((e) => e);
    expect(other).toMatchObject({ code: "INVALID_INPUT", message: expect.stringContaining("other filters") });
    expect(await ports.fleet.list({ limit: 1, cursor: "%%%" }).catch((e) => e)).toMatchObject({
      code: "INVALID_INPUT",
    });
  });

  test("pages through 100,000 actors: every one of a type once, in order, by cursor", async () => {
    await using dir = tempDir("fleet-100k-");
    const path = join(dir.path, "local.db");
    using big = openLocalPorts({ path });
    // Seeded with one SQL transaction: 100,000 commits would test SQLite's speed, not the listing.
    const seed = new Database(path);
    const insert = seed.query(
      `INSERT INTO actors (actor_id, actor_type, version, state, timers, parked, outbox, updated_at)
       VALUES (?, ?, 1, '{}', '{}', ?, '[]', ?)`,
    );
    seed.transaction(() => {
      for (let i = 0; i < 100_000; i++) {
        insert.run(`a-${i}`, i % 4 === 0 ? "timer" : "counter", i % 1000 === 0 ? "{}" : null, 1_000 + i);
      }
    })();
    seed.close();
    const timers: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await big.fleet.list({ actorType: "timer", limit: 1000, cursor });
      timers.push(...page.actors.map((a) => a.actorId));
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
    expect(timers).toHaveLength(25_000);
    expect(new Set(timers).size).toBe(25_000);
    // Parked (every 1000th, all of them timers) first, then the others newest first.
    expect(timers.slice(0, 3)).toEqual(["a-99000", "a-98000", "a-97000"]);
    expect(timers[100]).toBe("a-99996");
    expect(timers.at(-1)).toBe("a-4");
  });

  test("a database of the previous schema gains the fleet key and its indexes when opened", async () => {
    await using dir = tempDir("fleet-migrate-");
    const path = join(dir.path, "local.db");
    openLocalPorts({ path }).close();
    // What schema 4 had: no fleet_key column, no fleet indexes.
    const old = new Database(path);
    old.run("DROP INDEX actors_fleet");
    old.run("DROP INDEX actors_fleet_type");
    old.run("ALTER TABLE actors DROP COLUMN fleet_key");
    old.run(
      `INSERT INTO actors (actor_id, actor_type, version, state, timers, parked, outbox, updated_at)
       VALUES ('counter-old', 'counter', 3, '{}', '{}', NULL, '[]', 5)`,
    );
    old.run("PRAGMA user_version = 4");
    old.close();
    const reopened = openLocalPorts({ path });
    try {
      expect((await reopened.fleet.list({ limit: 5 })).actors.map((a) => [a.actorId, a.version])).toEqual([
        ["counter-old", 3],
      ]);
    } finally {
      reopened.close();
    }
  });
});
