import { afterEach, describe, expect, test } from "bun:test";
import { actor, client } from "../../runtime/index.ts";
import { createTestFabric, type TestFabric } from "../../runtime/testing.ts";

const alarmy = actor("alarmy", {
  state: () => ({ fired: [] as string[] }),
  handlers: {
    set(ctx, input: { name: string; delayMs: number }) {
      ctx.setAlarm(input.delayMs, { name: input.name, data: { name: input.name } });
    },
    cancel(ctx, input: { name: string }) {
      ctx.cancelAlarm(input.name);
    },
    pending(ctx) {
      return ctx.alarms();
    },
  },
  alarm(ctx, timer) {
    ctx.state.fired.push(`${timer.name}@${ctx.now - timer.scheduledAt >= 0 ? "due" : "early"}`);
  },
});

const charges: string[] = [];
let crashAfterCharge = true;
const workflow = actor("workflow", {
  state: () => ({ status: "new" }),
  handlers: {
    async run(ctx) {
      const charge = await ctx.step("charge", ({ idempotencyKey }) => {
        charges.push(idempotencyKey);
        return { chargeId: `ch-${charges.length}` };
      });
      if (crashAfterCharge) {
        crashAfterCharge = false;
        throw new Error("crash between steps");
      }
      const ship = await ctx.step("ship", () => ({ tracking: `tr-for-${charge.chargeId}` }));
      ctx.state.status = `shipped ${ship.tracking}`;
      return ctx.state.status;
    },
  },
});

const poison = actor("poison", {
  state: () => ({ applied: [] as number[] }),
  handlers: {
    apply(ctx, input: { n: number }) {
      if (input.n === 2) throw new Error("poison");
      ctx.state.applied.push(input.n);
    },
  },
});

let fabric: TestFabric;
afterEach(() => fabric?.close());

describe("timers", () => {
  test("a timer never fires early and fires once when due", async () => {
    fabric = createTestFabric({ actors: [alarmy] });
    await client(alarmy, fabric).get("alarmy-1").set({ name: "t", delayMs: 60_000 });
    await fabric.advance(59_999);
    expect((await fabric.state("alarmy-1"))?.state).toEqual({ fired: [] });
    await fabric.advance(1);
    await fabric.advance(600_000);
    expect((await fabric.state("alarmy-1"))?.state).toEqual({ fired: ["t@due"] });
  });

  test("many named timers fire independently; setting a name again replaces it", async () => {
    fabric = createTestFabric({ actors: [alarmy] });
    const a = client(alarmy, fabric).get("alarmy-1");
    await a.set({ name: "a", delayMs: 1_000 });
    await a.set({ name: "b", delayMs: 2_000 });
    await a.set({ name: "a", delayMs: 3_000 });
    expect(Object.keys(await a.pending())).toEqual(["a", "b"]);
    await fabric.advance(10_000);
    expect((await fabric.state("alarmy-1"))?.state).toEqual({ fired: ["b@due", "a@due"] });
  });

  test("a cancelled timer does nothing, even if its fire was already queued", async () => {
    fabric = createTestFabric({ actors: [alarmy] });
    const a = client(alarmy, fabric).get("alarmy-1");
    await a.set({ name: "c", delayMs: 1_000 });
    fabric.clock.advance(1_000);
    await fabric.ports.timers.fireDueTimers(fabric.clock.now()); // the fire is queued...
    await a.cancel({ name: "c" }); // ...then the cancel commits first
    await fabric.drain();
    expect((await fabric.state("alarmy-1"))?.state).toEqual({ fired: [] });
  });
});

describe("workflow steps", () => {
  test("a crash after a step replays its recorded result on retry: the charge happens once", async () => {
    fabric = createTestFabric({ actors: [workflow] });
    charges.length = 0;
    crashAfterCharge = true;
    await expect(
      fabric.invoke({ actorId: "workflow-1", handler: "run", messageId: "order-7" }),
    ).rejects.toThrow("crash between steps");
    const done = await fabric.invoke({ actorId: "workflow-1", handler: "run", messageId: "order-7" });
    expect(done.result).toBe("shipped tr-for-ch-1");
    expect(charges).toEqual(["workflow-1:order-7:charge"]);
  });
});

describe("effects inside a step", () => {
  const sneaky = actor("sneaky", {
    state: () => ({}),
    handlers: {
      async run(ctx) {
        await ctx.step("charge", () => {
          ctx.send("sneaky-2", "run");
          return 1;
        });
      },
    },
  });

  test("are refused, because a replayed step would skip them", async () => {
    fabric = createTestFabric({ actors: [sneaky] });
    await expect(fabric.invoke({ actorId: "sneaky-1", handler: "run" })).rejects.toThrow(
      'ctx.send was called inside ctx.step("charge")',
    );
    await fabric.drain();
    expect(await fabric.state("sneaky-2")).toBeNull();
  });
});

describe("poison messages", () => {
  test("after max receives the message is dead-lettered, the actor parked, and later messages wait", async () => {
    fabric = createTestFabric({ actors: [poison], maxReceives: 5 });
    const s = client(poison, fabric).send("poison-1");
    for (const n of [1, 2, 3]) await s.apply({ n });
    await fabric.drain();
    const record = await fabric.state("poison-1");
    expect(record?.state).toEqual({ applied: [1] });
    expect(record?.parked).toMatchObject({ handler: "apply" });
    const dead = await fabric.deadLetters("poison-1");
    // Only the poison message: the one behind it waits in the actor's waiting list.
    expect(dead.map((d) => d.message.input)).toEqual([{ n: 2 }]);
    expect(record?.waiting?.count).toBe(1);
    const unparked = await fabric.unpark("poison-1");
    expect(unparked).toMatchObject({ wasParked: true, waiting: 1, drained: 1, stillWaiting: 0 });
    expect((await fabric.state("poison-1"))?.state).toEqual({ applied: [1, 3] });
  });
});
