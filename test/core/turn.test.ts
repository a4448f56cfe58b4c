import { afterEach, describe, expect, test } from "bun:test";
import { actor, client, LIMITS } from "../../runtime/index.ts";
import { createTestFabric, type TestFabric } from "../../runtime/testing.ts";

const ledger = actor("ledger", {
  state: () => ({ total: 0, log: [] as string[] }),
  handlers: {
    add(ctx, input: { n: number; fail?: boolean; notify?: string }) {
      ctx.state.total += input.n;
      if (input.notify) ctx.send(input.notify, "note", { from: ctx.actorId, n: input.n });
      if (input.fail) throw new Error("refused after mutating");
      return { total: ctx.state.total };
    },
    total: (ctx) => ctx.state.total,
    note(ctx, input: { from: string; n: number }) {
      ctx.state.log.push(`${input.from}:${input.n}`);
    },
    big(ctx, input: { data: string }) {
      ctx.state.log = [input.data];
    },
    fill(ctx, input: { bytes: number }) {
      ctx.state.log = ["x".repeat(input.bytes)];
    },
    async ask(ctx, input: { target: string; handler: string }) {
      return await ctx.call(input.target, input.handler, { target: ctx.actorId, handler: "ask" });
    },
    async callAdd(ctx, input: { target: string }) {
      return await ctx.call(input.target, "add", { n: 1 });
    },
  },
});

let fabric: TestFabric;
afterEach(() => fabric?.close());

describe("a turn commits state and effects together or not at all", () => {
  test("a handler that throws leaves state, version and outbox untouched", async () => {
    fabric = createTestFabric({ actors: [ledger] });
    const l = client(ledger, fabric).get("ledger-a");
    await l.add({ n: 1 });
    await expect(l.add({ n: 5, fail: true, notify: "ledger-b" })).rejects.toThrow("refused after mutating");
    const record = await fabric.state("ledger-a");
    expect(record?.state).toEqual({ total: 1, log: [] });
    expect(record?.version).toBe(1);
    await fabric.drain();
    expect(await fabric.state("ledger-b")).toBeNull();
  });

  test("a message sent by a committed turn is delivered once, after the commit", async () => {
    fabric = createTestFabric({ actors: [ledger] });
    await client(ledger, fabric).get("ledger-a").add({ n: 2, notify: "ledger-b" });
    expect(await fabric.state("ledger-b")).toBeNull();
    await fabric.drain();
    await fabric.drain();
    expect((await fabric.state("ledger-b"))?.state).toEqual({ total: 0, log: ["ledger-a:2"] });
  });

  test("each committed turn adds exactly one version; a duplicate message id adds none", async () => {
    fabric = createTestFabric({ actors: [ledger] });
    for (let i = 0; i < 3; i++) await fabric.invoke({ actorId: "ledger-a", handler: "add", input: { n: 1 } });
    const dup = await fabric.invoke({
      actorId: "ledger-a",
      handler: "add",
      input: { n: 1 },
      messageId: "fixed",
    });
    const again = await fabric.invoke({
      actorId: "ledger-a",
      handler: "add",
      input: { n: 1 },
      messageId: "fixed",
    });
    expect(again).toMatchObject({ duplicate: true, result: dup.result });
    expect(await fabric.state("ledger-a")).toMatchObject({ version: 4, state: { total: 4 } });
  });

  // Random base64 compresses only to ~75%, so 600 KB stays over 400 KB and the size limit applies after the store's compression too.
  const incompressible = (kb: number) =>
    Buffer.from(crypto.getRandomValues(new Uint8Array(Math.ceil((kb * 1024 * 3) / 4))))
      .toString("base64")
      .slice(0, kb * 1024);

  test("a handler that changes nothing (a read) commits no new version", async () => {
    fabric = createTestFabric({ actors: [ledger] });
    const l = client(ledger, fabric).get("ledger-a");
    await l.add({ n: 3 });
    expect(await l.total()).toBe(3);
    expect(await l.total()).toBe(3);
    expect((await fabric.state("ledger-a"))?.version).toBe(1);
  });

  test("a state over 400 KB even compressed is kept as an object; one over LIMITS.stateBytes is refused and nothing is written", async () => {
    fabric = createTestFabric({ actors: [ledger] });
    await client(ledger, fabric).get("ledger-a").add({ n: 1 });
    const data = incompressible(600);
    await client(ledger, fabric).get("ledger-a").big({ data });
    const large = await fabric.state("ledger-a");
    expect(large).toMatchObject({ version: 2, state: { total: 1, log: [data] } });
    expect(large?.stateRef).toStartWith("state/ledger-a/2-");
    await expect(
      client(ledger, fabric)
        .get("ledger-a")
        .fill({ bytes: LIMITS.stateBytes + 1 }),
    ).rejects.toMatchObject({ code: "STATE_TOO_LARGE" });
    expect(await fabric.state("ledger-a")).toMatchObject({ version: 2, state: { log: [data] } });
  });
});

describe("sync calls between actors", () => {
  test("a call back into an actor already in the chain fails with CallCycleError instead of deadlocking", async () => {
    fabric = createTestFabric({ actors: [ledger] });
    await expect(
      client(ledger, fabric).get("ledger-a").ask({ target: "ledger-b", handler: "ask" }),
    ).rejects.toMatchObject({ code: "CALL_CYCLE" });
    await expect(
      client(ledger, fabric).get("ledger-a").ask({ target: "ledger-a", handler: "ask" }),
    ).rejects.toMatchObject({ code: "CALL_CYCLE" });
  });

  test("retrying the caller's message does not repeat the callee's effect", async () => {
    fabric = createTestFabric({ actors: [ledger] });
    await fabric.invoke({
      actorId: "ledger-a",
      handler: "callAdd",
      input: { target: "ledger-b" },
      messageId: "m1",
    });
    // The caller's marker short-circuits the retry; even without it the derived call id would dedupe.
    await fabric.invoke({
      actorId: "ledger-a",
      handler: "callAdd",
      input: { target: "ledger-b" },
      messageId: "m1",
    });
    expect((await fabric.state("ledger-b"))?.state).toMatchObject({ total: 1 });
  });
});

describe("validation happens before anything is written", () => {
  test("unknown handler, unknown actor type and bad ids are typed errors", async () => {
    fabric = createTestFabric({ actors: [ledger] });
    await expect(fabric.invoke({ actorId: "ledger-a", handler: "nope" })).rejects.toMatchObject({
      code: "UNKNOWN_HANDLER",
    });
    await expect(fabric.invoke({ actorId: "ledger-a", actorType: "nope" })).rejects.toMatchObject({
      code: "UNKNOWN_ACTOR",
    });
    await expect(fabric.invoke({ actorId: "bad id" })).rejects.toMatchObject({ code: "INVALID_ACTOR_ID" });
    await expect(
      fabric.invoke({ actorId: "ledger-a", handler: "add", input: { n: 1, f: (() => 1) as never } }),
    ).rejects.toMatchObject({
      code: "NOT_SERIALIZABLE",
    });
    expect(await fabric.state("ledger-a")).toBeNull();
  });
});
