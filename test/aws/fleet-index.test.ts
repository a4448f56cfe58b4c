import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { DynamoActorStore } from "../../runtime/adapters/aws/dynamodb-actor-store.ts";
import { DynamoFleetIndex } from "../../runtime/adapters/aws/dynamodb-fleet-index.ts";
import { createFabricTables, type FabricTables } from "../../runtime/adapters/aws/fabric-resources.ts";
import { stateKey } from "../../runtime/adapters/aws/state-items.ts";
import type { TurnCommit } from "../../runtime/ports/actor-store.ts";
import type { FleetEntry, FleetQuery } from "../../runtime/ports/fleet-index.ts";
import type { ParkedRecord } from "../../runtime/ports/messages.ts";
import { turnCommit } from "../contract/actor-store-support.ts";
import { emulatorClients, uniquePrefix } from "../support/aws-fabric.ts";
import { logRequests } from "../support/request-log.ts";

const HOUR = 3_600_000;
const TTL = 30_000;
const NOW = Date.UTC(2026, 0, 15, 12, 30);
const PARKED: ParkedRecord = {
  messageId: "m-poison",
  handler: "increment",
  at: NOW,
  error: { name: "Error", code: "HANDLER_FAILED", message: "boom" },
};

let tables: FabricTables;
let store: DynamoActorStore;
let fleet: DynamoFleetIndex;
let client: Awaited<ReturnType<typeof emulatorClients>>["dynamodb"];

/** A table of its own: a listing without filters sees every actor in it. */
beforeAll(async () => {
  ({ dynamodb: client } = await emulatorClients());
  tables = await createFabricTables(client, uniquePrefix("fleet"));
  store = new DynamoActorStore({ client, stateTable: tables.stateTable });
  fleet = new DynamoFleetIndex({ client, stateTable: tables.stateTable });
}, 60_000);
afterAll(() => tables?.destroy());

/** One committed turn of `actorId` at `now`, on top of `version` (its type: the id up to its last "-"). */
async function commit(actorId: string, version: number, patch: Partial<TurnCommit> = {}): Promise<void> {
  const now = patch.now ?? NOW;
  const lease = await store.acquireLease(actorId, "test", TTL, now);
  const actorType = actorId.replace(/-[^-]*$/, "");
  await store.commit(
    turnCommit(lease, version, now, { actorType, state: { n: version + 1 }, release: true, ...patch }),
  );
}

/** Every page of a listing, followed to its end. */
async function listAll(query: Omit<FleetQuery, "cursor">): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await fleet.list({ ...query, cursor });
    expect(page.actors.length).toBeLessThanOrEqual(query.limit);
    ids.push(...page.actors.map((a) => a.actorId));
    cursor = page.next ?? undefined;
    pages++;
  } while (cursor !== undefined && pages < 100);
  return { ids, pages };
}

describe("fleet index on DynamoDB Local", () => {
  // 24 counters active an hour apart (newest first expected), 6 of them parked, and 12 timers.
  const counters = Array.from({ length: 24 }, (_, i) => `counter-${String(i).padStart(2, "0")}`);
  const parked = new Set([
    "counter-03",
    "counter-07",
    "counter-11",
    "counter-15",
    "counter-19",
    "counter-23",
  ]);
  const timers = Array.from({ length: 12 }, (_, i) => `timer-${String(i).padStart(2, "0")}`);

  beforeAll(async () => {
    await Promise.all([
      ...counters.map((id, i) =>
        commit(id, 0, {
          now: NOW - i * HOUR,
          parked: parked.has(id) ? { ...PARKED, at: NOW - i * HOUR } : null,
        }),
      ),
      ...timers.map((id, i) =>
        commit(id, 0, {
          now: NOW - i * HOUR,
          timers: { tick: { timerId: `t-${id}`, at: NOW + 60_000 + i } },
        }),
      ),
    ]);
  }, 60_000);

  test("a commit keeps the fleet entry in its own single write: type, version, last active, parked, next timer", async () => {
    const now = NOW + 5;
    const lease = await store.acquireLease("gauge-1", "test", TTL, now);
    const log = logRequests(client);
    const timers = { b: { timerId: "tb", at: NOW + 9_000 }, a: { timerId: "ta", at: NOW + 7_000 } };
    await store.commit(turnCommit(lease, 0, now, { actorType: "gauge", timers, release: true }));
    // No request of its own: the entry is attributes of the state item the commit writes anyway.
    expect(log.commands()).toHaveLength(1);
    const page = await fleet.list({ actorType: "gauge", limit: 10 });
    expect(page.actors).toEqual([
      {
        actorId: "gauge-1",
        actorType: "gauge",
        version: 1,
        updatedAt: NOW + 5,
        parked: false,
        nextTimerAt: NOW + 7_000,
        waiting: 0,
      } satisfies FleetEntry,
    ]);
    expect(page.next).toBeNull();
  });

  test("lists parked counters by Query of the fleet index and one BatchGetItem, never a Scan", async () => {
    const log = logRequests(client);
    const page = await fleet.list({ actorType: "counter", parked: true, limit: 50 });
    // Newest first: counter-03 was active 3 hours ago, counter-23 23 hours ago.
    expect(page.actors.map((a) => a.actorId)).toEqual([...parked]);
    expect(page.actors.every((a) => a.parked && a.actorType === "counter")).toBe(true);
    expect(page.next).toBeNull();
    const commands = log.commands();
    expect(commands).not.toContain("ScanCommand");
    expect(commands.filter((c) => c === "QueryCommand")).toHaveLength(16);
    expect(commands.filter((c) => c === "BatchGetItemCommand")).toHaveLength(1);
  });

  test("pages across the 16 shards with a cursor: every actor once, parked first, then by type, newest first", async () => {
    const all = await listAll({ limit: 5 });
    const expected = [...[...parked], ...counters.filter((id) => !parked.has(id)), ...["gauge-1"], ...timers];
    expect(all.ids).toEqual(expected);
    expect(all.pages).toBe(Math.ceil(expected.length / 5));

    const byType = await listAll({ actorType: "counter", limit: 7 });
    expect(byType.ids).toEqual([...[...parked], ...counters.filter((id) => !parked.has(id))]);
  });

  test("an id prefix narrows the listing (a filter on the index, the type's keys only)", async () => {
    const log = logRequests(client);
    const found = await listAll({ actorType: "counter", idPrefix: "counter-1", limit: 4 });
    expect(found.ids).toEqual([
      "counter-11",
      "counter-15",
      "counter-19",
      ...["10", "12", "13", "14", "16", "17", "18"].map((n) => `counter-${n}`),
    ]);
    expect(log.commands()).not.toContain("ScanCommand");
  });

  test("the index key moves only when the hour bucket or the parked flag changes, so a hot actor writes no index entry", async () => {
    const key = async () =>
      (await client.send(new GetItemCommand({ TableName: tables.stateTable, Key: stateKey("hot-1") }))).Item
        ?.fleetKey?.S;
    const start = Math.floor(NOW / HOUR) * HOUR;
    await commit("hot-1", 0, { now: start + 1 });
    const first = await key();
    for (let v = 1; v < 4; v++) await commit("hot-1", v, { now: start + v * 60_000 });
    expect(await key()).toBe(first);
    await commit("hot-1", 4, { now: start + HOUR + 1 });
    const nextHour = await key();
    expect(nextHour).not.toBe(first);
    await commit("hot-1", 5, { now: start + HOUR + 2, parked: PARKED });
    expect((await key())?.startsWith("P#hot#")).toBe(true);
    expect(nextHour?.startsWith("R#hot#")).toBe(true);
  });

  test("a cursor of other filters, or one the index never made, is refused with INVALID_INPUT", async () => {
    const page = await fleet.list({ actorType: "counter", limit: 2 });
    expect(page.next).not.toBeNull();
    const other = await fleet.list({ actorType: "timer", limit: 2, cursor: page.next ?? "" }).catch((e) => e);
    expect(other).toMatchObject({ code: "INVALID_INPUT", message: expect.stringContaining("other filters") });
    const garbage = await fleet.list({ limit: 2, cursor: "bm9wZQ" }).catch((e) => e);
    expect(garbage).toMatchObject({ code: "INVALID_INPUT" });
  });
});
