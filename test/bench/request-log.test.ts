import { afterAll, describe, expect, test } from "bun:test";
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { instrumentDynamoDb, itemBytes, requestUnits } from "../../bench/dynamodb-probe.ts";
import { busyMs, RequestLog, sequentialRoundTrips, type TimedRequest } from "../../bench/request-log.ts";

const span = (startMs: number, endMs: number) => ({ startMs, endMs });

describe("sequentialRoundTrips: the longest chain of requests each sent after the previous answered", () => {
  test("no request is no round trip; one request is one", () => {
    expect(sequentialRoundTrips([])).toBe(0);
    expect(sequentialRoundTrips([span(0, 5)])).toBe(1);
  });

  test("requests sent together are one round trip, whatever order they answer in", () => {
    expect(sequentialRoundTrips([span(0, 9), span(0.2, 5)])).toBe(1);
  });

  test("acquire ∥ load, then commit is two; lock, load, save, release is four", () => {
    expect(sequentialRoundTrips([span(0, 5), span(0.1, 6), span(6.5, 12)])).toBe(2);
    expect(sequentialRoundTrips([span(0, 5), span(5, 10), span(10, 15), span(15, 20)])).toBe(4);
  });

  test("a staircase of overlapping requests still counts its sequential steps", () => {
    // A busy-interval count would call this one round trip: C starts before B ends, B before A ends.
    // But C was sent after A answered, so it waited for A: two sequential round trips.
    expect(sequentialRoundTrips([span(0, 5), span(4, 10), span(9, 12)])).toBe(2);
  });

  test("input order does not matter", () => {
    expect(sequentialRoundTrips([span(10, 15), span(0, 5), span(5, 10)])).toBe(3);
  });
});

describe("busyMs", () => {
  test("is the union of in-flight intervals", () => {
    expect(busyMs([])).toBe(0);
    expect(busyMs([span(0, 5), span(1, 6), span(10, 12)])).toBe(8);
  });
});

describe("RequestLog attributes each request to the invoke that made it", () => {
  test("concurrent invokes keep separate lists; requests outside any invoke are only counted", async () => {
    const log = new RequestLog();
    const fake = (op: string, ms: number) => async () => {
      const startMs = performance.now();
      await Bun.sleep(ms);
      log.record({ op, startMs, endMs: performance.now(), readUnits: 0, writeUnits: 1 });
    };
    log.record({ op: "Setup", startMs: 0, endMs: 1, readUnits: 0, writeUnits: 0 });
    const [a, b] = await Promise.all([
      log.measure(async () => {
        await Promise.all([fake("A1", 5)(), fake("A2", 5)()]);
        await fake("A3", 1)();
      }),
      log.measure(async () => fake("B1", 3)()),
    ]);
    expect(a.requests.map((r) => r.op).sort()).toEqual(["A1", "A2", "A3"]);
    expect(sequentialRoundTrips(a.requests)).toBe(2);
    expect(b.requests.map((r) => r.op)).toEqual(["B1"]);
    expect(log.unattributed).toBe(1);
  });
});

describe("requestUnits follows DynamoDB's on-demand rules", () => {
  test("standard, transactional and size-rounded operations", () => {
    expect(requestUnits("GetItem", { ConsistentRead: true })).toEqual({ readUnits: 1, writeUnits: 0 });
    expect(requestUnits("GetItem", {})).toEqual({ readUnits: 0.5, writeUnits: 0 });
    expect(requestUnits("UpdateItem", {})).toEqual({ readUnits: 0, writeUnits: 1 });
    expect(requestUnits("TransactGetItems", { TransactItems: [{}, {}] })).toEqual({
      readUnits: 4,
      writeUnits: 0,
    });
    const keys = [{ pk: { S: "a" } }, { pk: { S: "b" } }, { pk: { S: "c" } }];
    expect(
      requestUnits("BatchGetItem", { RequestItems: { State: { Keys: keys, ConsistentRead: true } } }),
    ).toEqual({
      readUnits: 3,
      writeUnits: 0,
    });
    expect(requestUnits("BatchGetItem", { RequestItems: { State: { Keys: keys } } }).readUnits).toBe(1.5);
    const big = { pk: { S: "a" }, v: { S: "x".repeat(1500) } };
    expect(itemBytes(big)).toBe("pk".length + 1 + "v".length + 1500);
    expect(requestUnits("PutItem", { Item: big })).toEqual({ readUnits: 0, writeUnits: 2 });
    const items = [{ Put: { Item: big } }, { Update: {} }, { ConditionCheck: {} }];
    expect(requestUnits("TransactWriteItems", { TransactItems: items })).toEqual({
      readUnits: 0,
      writeUnits: 8,
    });
  });
});

describe("the DynamoDB probe on a real SDK client", () => {
  // A stand-in DynamoDB that answers every request and fails the first `failures` ones with a
  // retryable 500, so the test controls exactly what went over the wire.
  let failures = 0;
  let received = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      await request.text();
      received++;
      const headers = { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": `r${received}` };
      if (failures > 0) {
        failures--;
        const body = { __type: "com.amazonaws.dynamodb.v20120810#InternalServerError", message: "try again" };
        return new Response(JSON.stringify(body), { status: 500, headers });
      }
      return new Response("{}", { status: 200, headers });
    },
  });
  afterAll(() => server.stop(true));

  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${server.port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 3,
  });
  const log = new RequestLog();
  const latencyMs = 15;
  instrumentDynamoDb(client, { log, latencyMs });
  const get = () =>
    client.send(new GetItemCommand({ TableName: "t", Key: { pk: { S: "a" } }, ConsistentRead: true }));
  const put = () => client.send(new PutItemCommand({ TableName: "t", Item: { pk: { S: "a" } } }));

  test("counts each request once, names its operation and holds it in flight for the latency", async () => {
    const before = received;
    const { requests } = await log.measure(async () => {
      await Promise.all([get(), get()]);
      await put();
    });
    expect(received - before).toBe(3);
    expect(requests.map((r) => r.op).sort()).toEqual(["GetItem", "GetItem", "PutItem"]);
    expect(sequentialRoundTrips(requests)).toBe(2);
    for (const r of requests) expect(r.endMs - r.startMs).toBeGreaterThanOrEqual(latencyMs - 1);
    expect(requests.reduce((sum, r: TimedRequest) => sum + r.readUnits, 0)).toBe(2);
  });

  test("an SDK retry is a second request and a second round trip", async () => {
    failures = 1;
    const before = received;
    const { requests } = await log.measure(() => put());
    expect(received - before).toBe(2);
    expect(requests).toHaveLength(2);
    expect(requests[0]?.error).toBe("HTTP 500");
    expect(requests[1]?.error).toBeUndefined();
    expect(sequentialRoundTrips(requests)).toBe(2);
  });
});
