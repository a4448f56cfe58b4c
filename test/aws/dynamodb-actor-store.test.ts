import { beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { DynamoActorStore } from "../../runtime/adapters/aws/dynamodb-actor-store.ts";
import {
  LeaseHeldError,
  LeaseLostError,
  StateTooLargeError,
  StoreBusyError,
  StoreUnavailableError,
  VersionConflictError,
} from "../../runtime/core/errors.ts";
import type { Lease, TurnCommit } from "../../runtime/ports/actor-store.ts";
import { rejectsWith, uniqueId } from "../contract/contract-support.ts";
import { sharedTables } from "../support/aws-fabric.ts";
import { dynamoDbLocal } from "../support/dynamodb-local.ts";
import { emulatorClientConfig } from "../support/emulator-credentials.ts";
import { freePort } from "../support/free-port.ts";
import { logRequests } from "../support/request-log.ts";

const TTL = 30_000;
beforeAll(() => sharedTables(), 60_000);
const DAY_S = 24 * 60 * 60;

async function storeWithLog() {
  const [ddb, tables] = await Promise.all([dynamoDbLocal(), sharedTables()]);
  const client = ddb.client();
  const store = new DynamoActorStore({
    client,
    stateTable: tables.stateTable,
  });
  return { store, client, tables, log: logRequests(client) };
}

function turn(lease: Lease, expectedVersion: number, patch: Partial<TurnCommit> = {}): TurnCommit {
  return {
    lease,
    actorType: "counter",
    expectedVersion,
    version: expectedVersion + 1,
    state: { count: expectedVersion + 1 },
    timers: {},
    parked: null,
    outbox: [],
    waiting: null,
    hold: [],
    drained: [],
    markers: [],
    release: true,
    now: lease.expiresAt - TTL + 1,
    ...patch,
  };
}

describe("DynamoActorStore on DynamoDB Local", () => {
  test("a turn without a message id costs two single-item requests: the acquire's reply answers the load asked with it, then one PutItem", async () => {
    const { store, log } = await storeWithLog();
    const actorId = uniqueId("budget");
    const now = Date.now();
    const lease0 = await store.acquireLease(actorId, "a", TTL, now);
    await store.commit(turn(lease0, 0, { now, state: { count: 7 } }));
    log.clear();
    const [lease, loaded] = await Promise.all([
      store.acquireLease(actorId, "a", TTL, now + 1),
      store.load(actorId, []),
    ]);
    expect(loaded.record).toMatchObject({ version: 1, state: { count: 7 } });
    await store.commit(turn(lease, loaded.record.version, { now: now + 1 }));
    expect(log.commands()).toEqual(["UpdateItemCommand", "PutItemCommand"]);
    expect(log.sequentialRoundTrips()).toBe(2);
  });

  test("a load asked for on its own, or after the acquire's turn of the event loop, reads with its own GetItem", async () => {
    const { store, log } = await storeWithLog();
    const actorId = uniqueId("own-read");
    const now = Date.now();
    const acquiring = store.acquireLease(actorId, "a", TTL, now);
    await Promise.resolve();
    const loaded = await store.load(actorId, []);
    await acquiring;
    expect(loaded.record.version).toBe(0);
    expect([...log.commands()].sort()).toEqual(["GetItemCommand", "UpdateItemCommand"]);
  });

  test("a load asked for with an acquire that finds the lease held reads the item that acquire found", async () => {
    const { store, log } = await storeWithLog();
    const actorId = uniqueId("held-read");
    const now = Date.now();
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    await store.commit(turn(lease, 0, { now, release: false, state: { count: 3 } }));
    log.clear();
    const refused = store.acquireLease(actorId, "b", TTL, now + 1);
    const loaded = await store.load(actorId, []);
    await rejectsWith(refused, LeaseHeldError);
    expect(loaded.record).toMatchObject({ version: 1, state: { count: 3 } });
    expect(log.commands()).toEqual(["UpdateItemCommand"]);
  });

  test("a turn with a message id reads its marker with the state (BatchGetItem) and writes it in the commit's transaction", async () => {
    const { store, log } = await storeWithLog();
    const actorId = uniqueId("budget-id");
    const now = Date.now();
    const [lease, loaded] = await Promise.all([
      store.acquireLease(actorId, "a", TTL, now),
      store.load(actorId, ["m1"]),
    ]);
    await store.commit(
      turn(lease, loaded.record.version, { markers: [{ messageId: "m1", version: 1, result: 1 }], now }),
    );
    expect(log.commands().slice(0, 2).sort()).toEqual(["BatchGetItemCommand", "UpdateItemCommand"]);
    expect(log.commands()[2]).toBe("TransactWriteItemsCommand");
    expect(log.sequentialRoundTrips()).toBe(2);
  });

  test("keeps the lease on the state item after a releasing commit: expiry 0, epoch kept, so epochs never restart", async () => {
    const { store, client, tables } = await storeWithLog();
    const actorId = uniqueId("keep");
    const now = Date.now();
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    await store.commit(turn(lease, 0, { now }));
    const item = await client.send(
      new GetItemCommand({
        TableName: tables.stateTable,
        Key: { pk: { S: actorId }, sk: { S: "state" } },
        ConsistentRead: true,
      }),
    );
    expect(item.Item?.leaseExpiresAt?.N).toBe("0");
    expect(item.Item?.leaseEpoch?.N).toBe(String(lease.epoch));
    const next = await store.acquireLease(actorId, "b", TTL, now + 1);
    expect(next.epoch).toBe(lease.epoch + 1);
  });

  test("a holder in its grace commits again with one PutItem and nothing read; another owner takes the grace at once and fences it", async () => {
    const { store, log } = await storeWithLog();
    const actorId = uniqueId("grace");
    const now = Date.now();
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    await store.commit(turn(lease, 0, { now, graceUntil: now + 50 }));
    log.clear();
    await store.commit(turn(lease, 1, { now: now + 10, graceUntil: now + 60 }));
    expect(log.commands()).toEqual(["PutItemCommand"]);
    // No wait for the grace: another owner's acquire succeeds right away, with a greater epoch...
    const other = await store.acquireLease(actorId, "b", TTL, now + 20);
    expect(other.epoch).toBeGreaterThan(lease.epoch);
    // ...and the old holder's next warm commit bounces off it.
    const error = await rejectsWith(store.commit(turn(lease, 2, { now: now + 30 })), LeaseLostError);
    expect(error.details.currentEpoch).toBe(other.epoch);
    expect((await store.read(actorId))?.version).toBe(2);
  });

  test("a lease left for a grace expires with it, and renewing it makes it a running turn's lease again", async () => {
    const { store } = await storeWithLog();
    const actorId = uniqueId("grace-end");
    const now = Date.now();
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    await store.commit(turn(lease, 0, { now, graceUntil: now + 50 }));
    await rejectsWith(store.commit(turn(lease, 1, { now: now + 51 })), LeaseLostError);
    const renewed = await store.renewLease(lease, TTL, now + 10);
    await rejectsWith(store.acquireLease(actorId, "b", TTL, now + 20), LeaseHeldError);
    await store.commit(turn(renewed, 1, { now: now + 30 }));
  });

  test("a never-committed actor whose lease was taken reads as null", async () => {
    const { store } = await storeWithLog();
    const actorId = uniqueId("leased-only");
    const lease = await store.acquireLease(actorId, "a", TTL, Date.now());
    await store.releaseLease(lease);
    expect(await store.read(actorId)).toBeNull();
    expect((await store.load(actorId, ["m"])).record.version).toBe(0);
  });

  test("gzips state over 32 KB into a binary attribute and reads it back unchanged", async () => {
    const { store, client, tables } = await storeWithLog();
    const actorId = uniqueId("gz");
    const now = Date.now();
    const state = {
      rows: Array.from({ length: 4000 }, (_, i) => ({ i, name: `row-${i}`, tags: ["a", "b"] })),
    };
    expect(JSON.stringify(state).length).toBeGreaterThan(100_000);
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    await store.commit(turn(lease, 0, { state, now }));
    const raw = await client.send(
      new GetItemCommand({ TableName: tables.stateTable, Key: { pk: { S: actorId }, sk: { S: "state" } } }),
    );
    expect(raw.Item?.stateGz?.B).toBeInstanceOf(Uint8Array);
    expect(raw.Item?.state).toBeUndefined();
    expect((await store.read(actorId))?.state).toEqual(state);
  });

  test("refuses state that stays over 400 KB after gzip before sending any request", async () => {
    const { store, log } = await storeWithLog();
    const actorId = uniqueId("big");
    const lease: Lease = { actorId, owner: "a", epoch: 1, expiresAt: Date.now() + TTL };
    log.clear();
    const blob = randomBytes(450 * 1024).toString("base64");
    const error = await rejectsWith(store.commit(turn(lease, 0, { state: { blob } })), StateTooLargeError);
    expect(error.details.limit).toBe(400 * 1024);
    expect(log.requests).toHaveLength(0);
  });

  test("writes processed markers with a ttl at least 14 days out and never overwrites one", async () => {
    const { store, client, tables } = await storeWithLog();
    const actorId = uniqueId("ttl");
    const now = Date.now();
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    await store.commit(
      turn(lease, 0, { markers: [{ messageId: "m1", version: 1, result: "first" }], release: false, now }),
    );
    const marker = await client.send(
      new GetItemCommand({ TableName: tables.stateTable, Key: { pk: { S: actorId }, sk: { S: "msg#m1" } } }),
    );
    expect(Number(marker.Item?.ttl?.N)).toBeGreaterThanOrEqual(Math.floor(now / 1000) + 14 * DAY_S);
    const again = turn(lease, 1, {
      markers: [{ messageId: "m1", version: 2, result: "second" }],
      now: now + 1,
    });
    const error = await rejectsWith(store.commit(again), VersionConflictError);
    expect(error.details.messageId).toBe("m1");
    expect((await store.load(actorId, ["m1"])).processed.get("m1")?.result).toBe("first");
  });

  test("loads the markers of more message ids than one BatchGetItem can read", async () => {
    const { store } = await storeWithLog();
    const actorId = uniqueId("many");
    const now = Date.now();
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    const ids = Array.from({ length: 150 }, (_, i) => `m${i}`);
    const markers = (from: number, to: number, version: number) =>
      ids.slice(from, to).map((messageId) => ({ messageId, version, result: messageId }));
    await store.commit(turn(lease, 0, { markers: markers(0, 75, 1), release: false, now }));
    await store.commit(turn(lease, 1, { markers: markers(75, 140, 2), now: now + 1 }));
    const loaded = await store.load(actorId, [...ids, "unknown"]);
    expect(loaded.processed.size).toBe(140);
    expect(loaded.processed.get("m139")).toMatchObject({ version: 2, result: "m139" });
    expect(loaded.record.version).toBe(2);
  });

  test("stores a message id too long for a sort key under its hash and finds it again", async () => {
    const { store } = await storeWithLog();
    const actorId = uniqueId("long");
    const now = Date.now();
    const messageId = `m-${"x".repeat(2000)}`;
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    await store.commit(turn(lease, 0, { markers: [{ messageId, version: 1, result: true }], now }));
    expect((await store.load(actorId, [messageId])).processed.get(messageId)?.result).toBe(true);
  });

  test("reports who holds the lease and until when, from the failed update itself", async () => {
    const { store, log } = await storeWithLog();
    const actorId = uniqueId("held");
    const now = Date.now();
    const held = await store.acquireLease(actorId, "a", TTL, now);
    log.clear();
    const error = await rejectsWith(store.acquireLease(actorId, "b", TTL, now + 1), LeaseHeldError);
    expect(error.details).toMatchObject({ holder: "a", expiresAt: held.expiresAt });
    expect(log.requests).toHaveLength(1);
  });

  test("turns an unreachable DynamoDB into StoreUnavailableError", async () => {
    const client = new DynamoDBClient({
      ...emulatorClientConfig(`http://127.0.0.1:${await freePort()}`),
      maxAttempts: 1,
    });
    const store = new DynamoActorStore({ client, stateTable: "s" });
    await rejectsWith(store.acquireLease("x", "a", TTL, Date.now()), StoreUnavailableError);
    await rejectsWith(store.load("x", ["m"]), StoreUnavailableError);
  });
});

// Throttling and transaction conflicts cannot be provoked on DynamoDB Local, so these use a mock.
describe("DynamoActorStore error mapping (mocked: conditions the emulator cannot provoke)", () => {
  const lease: Lease = { actorId: "a-1", owner: "o", epoch: 3, expiresAt: 2_000_000 };
  const mocked = () => {
    const client = new DynamoDBClient(emulatorClientConfig("http://127.0.0.1:9"));
    return {
      mock: mockClient(client),
      store: new DynamoActorStore({ client, stateTable: "s" }),
    };
  };

  test("maps throttling on the lease update to StoreUnavailableError", async () => {
    const { mock, store } = mocked();
    mock
      .on(UpdateItemCommand)
      .rejects(Object.assign(new Error("slow down"), { name: "ThrottlingException", $fault: "client" }));
    await rejectsWith(store.acquireLease("a-1", "o", TTL, 1), StoreUnavailableError);
  });

  const marked = { markers: [{ messageId: "m1", version: 1, result: null }], now: 1 };

  test("maps a commit cancelled by a concurrent transaction to StoreBusyError, which the turn retries", async () => {
    const { mock, store } = mocked();
    mock.on(TransactWriteItemsCommand).rejects(
      new TransactionCanceledException({
        message: "Transaction cancelled",
        $metadata: {},
        CancellationReasons: [{ Code: "None" }, { Code: "TransactionConflict" }],
      }),
    );
    const error = await rejectsWith(store.commit(turn(lease, 0, marked)), StoreBusyError);
    expect(error.details.reason).toBe("TransactionConflict");
  });

  test("maps a single-item commit that met a transaction in flight to StoreBusyError", async () => {
    const { mock, store } = mocked();
    mock
      .on(PutItemCommand)
      .rejects(
        Object.assign(new Error("conflict"), { name: "TransactionConflictException", $fault: "client" }),
      );
    await rejectsWith(store.commit(turn(lease, 0, { now: 1 })), StoreBusyError);
  });

  test("a PutItem refused by the write its own lost first attempt made (an SDK retry) is a success", async () => {
    const { mock, store } = mocked();
    mock.on(PutItemCommand).callsFake((input: { Item?: Record<string, unknown> }) => {
      throw new ConditionalCheckFailedException({
        message: "failed",
        $metadata: {},
        Item: input.Item as never,
      });
    });
    await store.commit(turn(lease, 0, { now: 1 }));
    // Someone else's version: a real conflict.
    mock.on(PutItemCommand).rejects(
      new ConditionalCheckFailedException({
        message: "failed",
        $metadata: {},
        Item: {
          version: { N: "4" },
          leaseOwner: { S: "o" },
          leaseEpoch: { N: "3" },
          leaseExpiresAt: { N: "9999999" },
        },
      }),
    );
    const error = await rejectsWith(store.commit(turn(lease, 2, { now: 2 })), VersionConflictError);
    expect(error.details.actualVersion).toBe(4);
  });

  test("sends a client request token so an SDK retry of a commit is answered, not refused", async () => {
    const { mock, store } = mocked();
    mock.on(TransactWriteItemsCommand).resolves({});
    await store.commit(turn(lease, 0, marked));
    await store.commit(turn(lease, 0, marked));
    const tokens = mock
      .commandCalls(TransactWriteItemsCommand)
      .map((call) => call.args[0].input.ClientRequestToken);
    expect(tokens[0]).toMatch(/^[0-9a-f]{36}$/);
    expect(tokens[1]).toBe(tokens[0] ?? "");
  });
});
