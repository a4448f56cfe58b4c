import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type LocalPorts, openLocalPorts } from "../../runtime/adapters/local/index.ts";
import { PayloadTooLargeError } from "../../runtime/core/errors.ts";
import { LIMITS } from "../../runtime/core/limits.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import { ManualClock } from "../../runtime/testing/manual-clock.ts";

let clock: ManualClock;
let ports: LocalPorts;

beforeEach(() => {
  clock = new ManualClock();
  ports = openLocalPorts({ path: ":memory:", clock });
});
afterEach(() => ports.close());

const message = (actorId: string, n: number): ActorMessage => ({
  id: `${actorId}-${n}`,
  actorId,
  handler: "step",
  kind: "send",
  input: { n },
});

async function park(actorId: string): Promise<void> {
  const now = clock.now();
  const lease = await ports.store.acquireLease(actorId, "test", 30_000, now);
  const error = { name: "HandlerFailedError", code: "HANDLER_FAILED", message: "boom" };
  await ports.store.commit({
    lease,
    actorType: "counter",
    expectedVersion: 0,
    version: 1,
    state: {},
    timers: {},
    parked: { messageId: "poison", handler: "step", at: now, error },
    outbox: [],
    markers: [],
    waiting: null,
    hold: [],
    drained: [],
    release: true,
    now,
  });
}

describe("local message queue", () => {
  test("delivers a parked actor's messages like SQS does (its turn holds them), each with its sequence", async () => {
    await park("parked-1");
    await ports.queue.send([message("parked-1", 1), message("free-1", 1), message("parked-1", 2)]);
    const batch = await ports.queue.receive({ maxMessages: 10, visibilityTimeoutMs: 30_000 });
    expect(batch.map((d) => d.message.id)).toEqual(["parked-1-1", "free-1-1", "parked-1-2"]);
    const sequences = batch.map((d) => d.message.sequence ?? "");
    expect(sequences.every((s) => /^\d{40}$/.test(s))).toBe(true);
    expect([...sequences].sort()).toEqual(sequences);
  });

  test("delivers several messages of one actor in one batch, in order", async () => {
    await ports.queue.send([message("a", 1), message("b", 1), message("a", 2), message("a", 3)]);
    const batch = await ports.queue.receive({ maxMessages: 10, visibilityTimeoutMs: 30_000 });
    expect(batch.map((d) => d.message.id)).toEqual(["a-1", "b-1", "a-2", "a-3"]);
  });

  test("a waiting receive returns once a message arrives", async () => {
    const waiting = ports.queue.receive({ maxMessages: 10, visibilityTimeoutMs: 30_000, waitMs: 60_000 });
    await ports.queue.send([message("a", 1)]);
    expect((await waiting).map((d) => d.message.id)).toEqual(["a-1"]);
  });

  test("a waiting receive on an idle queue gives up after waitMs", async () => {
    const started = clock.now();
    expect(await ports.queue.receive({ maxMessages: 1, visibilityTimeoutMs: 1000, waitMs: 500 })).toEqual([]);
    expect(clock.now() - started).toBe(500);
  });

  test("refuses a message over the 1 MiB queue limit and enqueues none of its batch", async () => {
    const big = { ...message("a", 2), input: { blob: "x".repeat(LIMITS.asyncPayloadBytes) } };
    await expect(ports.queue.send([message("a", 1), big])).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(await ports.queue.receive({ maxMessages: 10, visibilityTimeoutMs: 1000 })).toEqual([]);
  });

  test("ignores an ack whose receipt went stale when the message was redelivered", async () => {
    await ports.queue.send([message("a", 1)]);
    const [first] = await ports.queue.receive({ maxMessages: 1, visibilityTimeoutMs: 1000 });
    clock.advance(1000);
    const [second] = await ports.queue.receive({ maxMessages: 1, visibilityTimeoutMs: 1000 });
    await ports.queue.ack(first ? [first] : []);
    expect(await ports.queue.stats()).toEqual({ queued: 0, inFlight: 1, deadLetters: 0 });
    await ports.queue.ack(second ? [second] : []);
    expect(await ports.queue.stats()).toEqual({ queued: 0, inFlight: 0, deadLetters: 0 });
  });

  test("stats counts queued, in-flight and dead-lettered messages", async () => {
    const queue = openLocalPorts({ path: ":memory:", clock, maxReceives: 1, redriveSlackReceives: 0 }).queue;
    await queue.send([message("a", 1), message("b", 1), message("c", 1)]);
    const [a] = await queue.receive({ maxMessages: 1, visibilityTimeoutMs: 1000 });
    await queue.retry(a ? [a] : [], 0);
    await queue.receive({ maxMessages: 1, visibilityTimeoutMs: 1000 });
    expect(await queue.stats()).toEqual({ queued: 1, inFlight: 1, deadLetters: 1 });
    expect((await queue.deadLetters())[0]?.reason).toContain("redrive");
  });
});
