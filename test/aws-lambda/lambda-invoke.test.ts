import { describe, expect, test } from "bun:test";
import { randomBytes, randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { AwsPorts } from "../../runtime/adapters/aws/create-aws-ports.ts";
import type { DurableInvokeEvent } from "../../runtime/adapters/aws/invoke-event.ts";
import { createLambdaHandler } from "../../runtime/adapters/aws/lambda.ts";
import type { JsonValue } from "../../runtime/core/json.ts";
import type { Lease } from "../../runtime/ports/actor-store.ts";
import { ACTORS, failing, lambdaContext, lambdaFixture } from "./lambda-support.ts";

function invokeEvent(
  actorId: string,
  handler: string,
  input?: JsonValue,
  messageId?: string,
): DurableInvokeEvent {
  return {
    type: "durable.invoke",
    actorId,
    handler,
    ...(input === undefined ? {} : { input }),
    ...(messageId ? { messageId } : {}),
  };
}

/** A base64 blob whose state item, gzipped as the store writes it, is just over 401 KB: incompressible on purpose. */
function blobStoredAt(targetBytes: number): string {
  const text = randomBytes(targetBytes).toString("base64");
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (gzipSync(JSON.stringify({ entries: [], blob: text.slice(0, mid) })).byteLength < targetBytes)
      low = mid + 1;
    else high = mid;
  }
  return text.slice(0, low);
}

describe("lambda entry: direct sync invoke", () => {
  test("a sync invoke runs the handler, commits the state and answers with result and version", async () => {
    const f = await lambdaFixture("invoke");
    const actorId = `ledger-${randomUUID().slice(0, 8)}`;
    const result = await f.handler(invokeEvent(actorId, "append", { entry: "first" }), lambdaContext());
    expect(result).toMatchObject({
      ok: true,
      actorId,
      actorType: "ledger",
      handler: "append",
      result: { entries: 1 },
      version: 1,
      duplicate: false,
    });
    const stored = await f.ports.store.read(actorId);
    expect(stored?.state).toEqual({ entries: ["first"], blob: "" });
    const turns = f.json().filter((l) => l.type === "turn");
    expect(turns).toHaveLength(1);
    expect(turns[0]).toMatchObject({ actorId, outcome: "committed", version: 1, messages: 1 });
    expect(f.json().some((l) => typeof l._aws === "object" && l.ActorType === "ledger")).toBe(true);
  }, 60_000);

  test("user errors come back as ok:false with a typed error, never as a Lambda failure", async () => {
    const f = await lambdaFixture("invoke-errors");
    const ctx = lambdaContext();
    const thrown = await f.handler(invokeEvent("ledger-x1", "nope"), ctx);
    expect(thrown).toMatchObject({ ok: false, error: { code: "UNKNOWN_HANDLER" } });
    expect(await f.handler(invokeEvent("not a valid id!", "append", { entry: "a" }), ctx)).toMatchObject({
      ok: false,
      error: { code: "INVALID_ACTOR_ID" },
    });
    const unsafe = JSON.parse('{"entry":"a","__proto__":{"polluted":true}}') as JsonValue;
    expect(await f.handler(invokeEvent("ledger-x1", "append", unsafe), ctx)).toMatchObject({
      ok: false,
      error: { code: "UNSAFE_JSON_KEY" },
    });
    failing.add("boom");
    try {
      const failed = await f.handler(
        invokeEvent(`ledger-${randomUUID().slice(0, 8)}`, "append", { entry: "boom" }),
        ctx,
      );
      expect(failed).toMatchObject({
        ok: false,
        error: { code: "HANDLER_FAILED", message: "entry boom refused" },
      });
    } finally {
      failing.delete("boom");
    }
    expect(await f.ports.store.read("ledger-x1")).toBeNull();
  }, 60_000);

  test("the same message id invoked 3 times is applied once; later deliveries return the stored result", async () => {
    const f = await lambdaFixture("invoke-dup");
    const actorId = `ledger-${randomUUID().slice(0, 8)}`;
    const messageId = randomUUID();
    const results = [];
    for (let i = 0; i < 3; i++)
      results.push(
        await f.handler(invokeEvent(actorId, "append", { entry: "once" }, messageId), lambdaContext()),
      );
    expect(results.map((r) => r.ok && r.duplicate)).toEqual([false, true, true]);
    for (const r of results)
      expect(r).toMatchObject({ ok: true, messageId, result: { entries: 1 }, version: 1 });
    expect((await f.ports.store.read(actorId))?.state).toEqual({ entries: ["once"], blob: "" });
  }, 60_000);

  test("a state of 401 KB stored (after gzip) is refused with StateTooLargeError and nothing is written", async () => {
    const f = await lambdaFixture("invoke-big");
    const actorId = `ledger-${randomUUID().slice(0, 8)}`;
    expect(
      await f.handler(invokeEvent(actorId, "append", { entry: "small" }), lambdaContext()),
    ).toMatchObject({ ok: true, version: 1 });
    const messageId = randomUUID();
    const blob = blobStoredAt(401 * 1024);
    const result = await f.handler(invokeEvent(actorId, "store", { blob }, messageId), lambdaContext());
    expect(result).toMatchObject({
      ok: false,
      error: { name: "StateTooLargeError", code: "STATE_TOO_LARGE", details: { limit: 400 * 1024 } },
    });
    const details = (result.ok ? {} : result.error.details) as { storedSize?: number };
    expect(details.storedSize).toBeGreaterThan(401 * 1024);
    const stored = await f.ports.store.read(actorId);
    expect(stored?.version).toBe(1);
    expect(stored?.state).toEqual({ entries: ["small"], blob: "" });
    const loaded = await f.ports.store.load(actorId, [messageId]);
    expect(loaded.processed.size).toBe(0);
    // The lease was released: the next turn does not wait for it.
    const started = Date.now();
    expect(
      await f.handler(invokeEvent(actorId, "append", { entry: "after" }), lambdaContext()),
    ).toMatchObject({ ok: true, version: 2 });
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 60_000);

  test("the lease is DURABLE_LEASE_MS whatever the remaining time, renewed while a handler outlasts it", async () => {
    const ttls: number[] = [];
    const renewals: number[] = [];
    const f = await lambdaFixture("invoke-lease", {
      settings: { leaseMs: 300 },
      wrap: (ports) => ({
        ...ports,
        store: Object.assign(Object.create(ports.store) as typeof ports.store, {
          acquireLease: (actorId: string, owner: string, ttlMs: number, now: number) => {
            ttls.push(ttlMs);
            return ports.store.acquireLease(actorId, owner, ttlMs, now);
          },
          renewLease: (lease: Lease, ttlMs: number, now: number) => {
            renewals.push(ttlMs);
            return ports.store.renewLease(lease, ttlMs, now);
          },
        }),
      }),
    });
    // A crashed container stops renewing, so a short lease bounds how long it blocks the actor.
    const actorId = `ledger-${randomUUID().slice(0, 8)}`;
    const result = await f.handler(
      invokeEvent(actorId, "slowAppend", { entry: "a", ms: 1_000 }),
      lambdaContext(120_000),
    );
    expect(ttls).toEqual([300]);
    // The handler took over three leases' worth of time and still committed, once, by renewing.
    expect(renewals.length).toBeGreaterThanOrEqual(3);
    expect(result).toMatchObject({ ok: true, version: 1, result: { entries: 1 } });
  }, 60_000);

  test("no turn commits past the function's remaining time minus the safety margin", async () => {
    const f = await lambdaFixture("invoke-deadline", { handler: { safetyMarginMs: 1_000 } });
    const actorId = `ledger-${randomUUID().slice(0, 8)}`;
    // 800 ms left and a 1 s margin: the turn may run but must not commit.
    const result = await f.handler(invokeEvent(actorId, "append", { entry: "late" }), lambdaContext(800));
    expect(result).toMatchObject({ ok: false, error: { code: "DEADLINE_EXCEEDED" } });
    expect(await f.ports.store.read(actorId)).toBeNull();
  }, 60_000);

  test("without ports, the handler builds them from the construct's environment and names a missing variable", async () => {
    const handler = createLambdaHandler(ACTORS, { aws: { env: {} }, write: () => undefined });
    await expect(handler(invokeEvent("ledger-1", "get"), lambdaContext())).rejects.toThrow(
      /DURABLE_STATE_TABLE is not set/,
    );
  });

  test("a container's next call on an actor inside the warm grace acquires and loads nothing; warmGraceMs 0 turns that off", async () => {
    const calls: string[] = [];
    const counting = (ports: AwsPorts): AwsPorts => ({
      ...ports,
      store: new Proxy(ports.store, {
        get(target, property, receiver) {
          const value: unknown = Reflect.get(target, property, receiver);
          if (typeof value !== "function") return value;
          return (...args: unknown[]) => {
            calls.push(String(property));
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      }),
    });
    const warm = await lambdaFixture("invoke-warm", { wrap: counting });
    const actorId = `ledger-${randomUUID().slice(0, 8)}`;
    await warm.handler(invokeEvent(actorId, "append", { entry: "a" }), lambdaContext());
    calls.length = 0;
    const second = await warm.handler(invokeEvent(actorId, "append", { entry: "b" }), lambdaContext());
    expect(second).toMatchObject({ ok: true, version: 2, result: { entries: 2 } });
    expect(calls).toEqual(["commit"]);
    expect(
      warm
        .json()
        .filter((l) => l.type === "turn")
        .map((l) => l.warm ?? false),
    ).toEqual([false, true]);

    const cold = await lambdaFixture("invoke-cold", { wrap: counting, handler: { warmGraceMs: 0 } });
    await cold.handler(invokeEvent(actorId, "append", { entry: "c" }), lambdaContext());
    calls.length = 0;
    await cold.handler(invokeEvent(actorId, "append", { entry: "d" }), lambdaContext());
    expect(calls.sort()).toEqual(["acquireLease", "commit", "load"]);

    const bad = createLambdaHandler(ACTORS, { warmGraceMs: -1, aws: { env: {} }, write: () => undefined });
    await expect(bad(invokeEvent("ledger-1", "get"), lambdaContext())).rejects.toThrow(
      /DURABLE_WARM_GRACE_MS/,
    );
  }, 60_000);

  test("an event the function does not handle is a bug and throws", async () => {
    const f = await lambdaFixture("invoke-unknown");
    await expect(f.handler({ hello: "world" }, lambdaContext())).rejects.toThrow(/unsupported event/);
  }, 60_000);
});
