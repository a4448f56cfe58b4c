import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { counter } from "../actors/counter.ts";
import { client } from "../durable/index.ts";
import { createTestFabric, type TestFabric } from "../durable/testing.ts";

let fabric: TestFabric;
beforeEach(() => {
  fabric = createTestFabric({ actors: [counter] });
});
afterEach(() => fabric.close());

describe("counter", () => {
  test("increments by one by default and by the given amount", async () => {
    const c = client(counter, fabric).get("counter-1");
    expect(await c.increment()).toEqual({ count: 1 });
    expect(await c.increment({ by: 5 })).toEqual({ count: 6 });
    expect(await c.get()).toEqual({ count: 6, version: 2 });
  });

  test("every actor id has its own count", async () => {
    await client(counter, fabric).get("counter-a").increment({ by: 2 });
    await client(counter, fabric).get("counter-b").increment({ by: 3 });
    expect((await fabric.state("counter-a"))?.state).toMatchObject({ count: 2 });
    expect((await fabric.state("counter-b"))?.state).toMatchObject({ count: 3 });
  });

  test("reset sets the count to zero and counts resets", async () => {
    const c = client(counter, fabric).get("counter-1");
    await c.increment({ by: 4 });
    await c.reset();
    expect((await fabric.state("counter-1"))?.state).toEqual({ count: 0, resets: 1 });
  });

  test("async increments are applied in order once the queue runs", async () => {
    const sender = client(counter, fabric).send("counter-1");
    for (let i = 0; i < 5; i++) await sender.increment({ by: 1 });
    expect(await fabric.state("counter-1")).toBeNull();
    await fabric.drain();
    expect((await fabric.state("counter-1"))?.state).toMatchObject({ count: 5 });
  });

  test("a failing increment changes nothing", async () => {
    const c = client(counter, fabric).get("counter-1");
    await c.increment({ by: 1 });
    await expect(c.increment({ by: 1.5 })).rejects.toThrow("by must be an integer");
    expect((await fabric.state("counter-1"))?.version).toBe(1);
  });

  test("retrying a call with the same message id applies it once", async () => {
    const first = await fabric.invoke({ actorId: "counter-1", handler: "increment", messageId: "m-1" });
    const again = await fabric.invoke({ actorId: "counter-1", handler: "increment", messageId: "m-1" });
    expect(again.result).toEqual(first.result);
    expect(again.duplicate).toBe(true);
    expect((await fabric.state("counter-1"))?.state).toMatchObject({ count: 1 });
  });
});
