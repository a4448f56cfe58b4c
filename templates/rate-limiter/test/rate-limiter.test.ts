import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { rateLimiter } from "../actors/rate-limiter.ts";
import { client } from "../durable/index.ts";
import { createTestFabric, type TestFabric } from "../durable/testing.ts";

let fabric: TestFabric;
beforeEach(() => {
  fabric = createTestFabric({ actors: [rateLimiter] });
});
afterEach(() => fabric.close());

const bucket = (id = "rate-limiter-api") => client(rateLimiter, fabric).get(id);

describe("rate-limiter", () => {
  test("a new bucket admits up to its capacity, then refuses with the time until the next token", async () => {
    const api = bucket();
    await api.configure({ capacity: 3, refillPerSecond: 0.5 });
    expect(await api.take()).toEqual({ allowed: true, remaining: 2, retryAfterMs: 0 });
    await api.take();
    expect(await api.take()).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    expect(await api.take()).toEqual({ allowed: false, remaining: 0, retryAfterMs: 2000 });
  });

  test("tokens refill from ctx.now and never above the capacity", async () => {
    const api = bucket();
    await api.configure({ capacity: 2, refillPerSecond: 1 });
    await api.take({ cost: 2 });
    fabric.clock.advance(999);
    expect((await api.take()).allowed).toBe(false);
    fabric.clock.advance(1);
    expect(await api.take()).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    fabric.clock.advance(3_600_000);
    expect(await api.peek()).toMatchObject({ tokens: 2, capacity: 2 });
  });

  test("the refusal says how long until enough tokens for the cost", async () => {
    const api = bucket();
    await api.configure({ capacity: 5, refillPerSecond: 2 });
    await api.take({ cost: 5 });
    expect(await api.take({ cost: 3 })).toEqual({ allowed: false, remaining: 0, retryAfterMs: 1500 });
    fabric.clock.advance(1500);
    expect((await api.take({ cost: 3 })).allowed).toBe(true);
  });

  test("many concurrent takes through the fabric admit exactly the capacity", async () => {
    const api = bucket();
    await api.configure({ capacity: 7, refillPerSecond: 1 });
    const results = await Promise.all(Array.from({ length: 40 }, () => api.take()));
    expect(results.filter((r) => r.allowed)).toHaveLength(7);
    expect((await fabric.state("rate-limiter-api"))?.state).toMatchObject({ allowed: 7, denied: 33 });
  });

  test("queued takes applied by the queue also admit exactly the capacity", async () => {
    await bucket().configure({ capacity: 4, refillPerSecond: 1 });
    const sender = client(rateLimiter, fabric).send("rate-limiter-api");
    await Promise.all(Array.from({ length: 10 }, () => sender.take()));
    await fabric.drain();
    expect((await fabric.state("rate-limiter-api"))?.state).toMatchObject({ allowed: 4, denied: 6 });
  });

  test("every key has its own bucket", async () => {
    await bucket("rate-limiter-user-1").configure({ capacity: 1 });
    expect((await bucket("rate-limiter-user-1").take()).allowed).toBe(true);
    expect((await bucket("rate-limiter-user-1").take()).allowed).toBe(false);
    expect((await bucket("rate-limiter-user-2").take()).allowed).toBe(true);
  });

  test("shrinking the capacity drops tokens the bucket no longer fits", async () => {
    const api = bucket();
    await api.configure({ capacity: 10 });
    expect(await api.configure({ capacity: 3 })).toMatchObject({ capacity: 3, tokens: 3 });
  });

  test("a bad configuration or cost is refused and changes nothing", async () => {
    const api = bucket();
    await api.configure({ capacity: 2, refillPerSecond: 1 });
    await expect(api.configure({ capacity: 0 })).rejects.toThrow("capacity must be an integer");
    await expect(api.configure({ refillPerSecond: -1 })).rejects.toThrow(
      "refillPerSecond must be a number above 0",
    );
    await expect(api.take({ cost: 3 })).rejects.toThrow("cost must be an integer from 1 to the capacity 2");
    expect((await fabric.state("rate-limiter-api"))?.version).toBe(1);
  });
});
