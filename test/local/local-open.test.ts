import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLocalPorts } from "../../runtime/adapters/local/index.ts";
import { StoreUnavailableError } from "../../runtime/core/errors.ts";

const dir = mkdtempSync(join(tmpdir(), "durable-open-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("opening the local fabric", () => {
  test("creates the .durable directory and the database file in WAL mode", () => {
    const path = join(dir, "project", ".durable", "local.db");
    const ports = openLocalPorts({ path });
    ports.close();
    expect(existsSync(path)).toBe(true);
    const raw = new Database(path);
    expect(raw.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode).toBe("wal");
    raw.close();
  });

  test("two handles on one file see each other's commits at once", async () => {
    const path = join(dir, "shared.db");
    const writer = openLocalPorts({ path });
    const reader = openLocalPorts({ path });
    try {
      const now = Date.now();
      const lease = await writer.store.acquireLease("counter-1", "writer", 30_000, now);
      await writer.store.commit({
        lease,
        actorType: "counter",
        expectedVersion: 0,
        version: 1,
        state: { count: 1 },
        timers: {},
        parked: null,
        outbox: [],
        markers: [],
        waiting: null,
        hold: [],
        drained: [],
        release: true,
        now,
      });
      expect((await reader.store.read("counter-1"))?.state).toEqual({ count: 1 });
    } finally {
      writer.close();
      reader.close();
    }
  });

  test("refuses a database written by a newer schema with StoreUnavailableError", () => {
    const path = join(dir, "future.db");
    const raw = new Database(path, { create: true });
    raw.run("PRAGMA user_version = 999");
    raw.close();
    expect(() => openLocalPorts({ path })).toThrow(StoreUnavailableError);
  });

  test("a file of schema 4 (leases without the grace column) gains it on open, and keeps a lease for a grace", async () => {
    const path = join(dir, "schema4.db");
    openLocalPorts({ path }).close();
    const raw = new Database(path);
    raw.run("ALTER TABLE leases DROP COLUMN grace");
    raw.run("PRAGMA user_version = 4");
    raw.close();
    const ports = openLocalPorts({ path });
    try {
      const now = Date.now();
      const lease = await ports.store.acquireLease("counter-1", "a", 30_000, now);
      await ports.store.commit({
        lease,
        actorType: "counter",
        expectedVersion: 0,
        version: 1,
        state: { count: 1 },
        timers: {},
        parked: null,
        outbox: [],
        markers: [],
        waiting: null,
        hold: [],
        drained: [],
        release: true,
        graceUntil: now + 30_000,
        now,
      });
      // A grace yields at once: another owner takes the lease without waiting.
      const other = await ports.store.acquireLease("counter-1", "b", 30_000, now + 1);
      expect(other.epoch).toBeGreaterThan(lease.epoch);
    } finally {
      ports.close();
    }
  });

  test("reopening an existing database keeps its data", async () => {
    const path = join(dir, "reopen.db");
    const first = openLocalPorts({ path });
    await first.signals.publish([
      { id: "s1", source: "counter-1", type: "counted", detail: { n: 1 }, at: 1 },
    ]);
    first.close();
    const second = openLocalPorts({ path });
    expect((await second.signals.recent()).map((s) => s.id)).toEqual(["s1"]);
    second.close();
  });
});

describe("local signals", () => {
  test("recent returns the newest signals in publish order, ignores a republished id and keeps signalLimit", async () => {
    const ports = openLocalPorts({ path: ":memory:", signalLimit: 3 });
    const signal = (n: number) => ({
      id: `s${n}`,
      source: "counter-1",
      type: "counted",
      detail: { n },
      at: n,
    });
    await ports.signals.publish([signal(1), signal(2)]);
    await ports.signals.publish([signal(2), signal(3)]);
    expect((await ports.signals.recent()).map((s) => s.id)).toEqual(["s1", "s2", "s3"]);
    await ports.signals.publish([signal(4), signal(5)]);
    const recent = await ports.signals.recent();
    expect(recent.map((s) => s.id)).toEqual(["s3", "s4", "s5"]);
    expect(recent[2]).toMatchObject({ source: "counter-1", type: "counted", detail: { n: 5 }, at: 5 });
    expect((await ports.signals.recent({ afterSeq: recent[1]?.seq ?? 0 })).map((s) => s.id)).toEqual(["s5"]);
    expect((await ports.signals.recent({ limit: 1 })).map((s) => s.id)).toEqual(["s5"]);
    ports.close();
  });
});
