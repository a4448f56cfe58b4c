import { afterAll, describe, expect, test } from "bun:test";
import { countFrom, hotSequential, percentile, spreadConcurrent } from "../../bench/workloads.ts";

// A stand-in for either backend: counts per actor and answers in the durable dev envelope, so
// the tests also prove the workloads read that shape.
const counts = new Map<string, number>();
let lose = false;
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const match = /^\/actors\/([^/]+)\/increment$/.exec(new URL(request.url).pathname);
    if (request.method !== "POST" || !match?.[1]) return new Response("not found", { status: 404 });
    const { by } = (await request.json()) as { by: number };
    const id = decodeURIComponent(match[1]);
    const count = (lose ? 0 : (counts.get(id) ?? 0)) + by;
    counts.set(id, count);
    return Response.json({ mode: "sync", result: { count } });
  },
});
const url = `http://127.0.0.1:${server.port}`;
afterAll(() => server.stop(true));

describe("percentile", () => {
  test("uses the nearest rank, so p50 and p99 of 1..100 are 50 and 99", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe("countFrom", () => {
  test("reads the count from a bare answer and from the durable dev envelope", () => {
    expect(countFrom({ count: 3 })).toBe(3);
    expect(countFrom({ mode: "sync", result: { count: 4 } })).toBe(4);
    expect(countFrom({ error: { code: "X" } })).toBeUndefined();
  });
});

describe("workloads against a local server", () => {
  test("hotSequential sends exactly warmup + n increments to one actor", async () => {
    const result = await hotSequential(url, { actorId: "hot-1", n: 50, warmup: 5 });
    expect(counts.get("hot-1")).toBe(55);
    expect(result.finalCount).toBe(55);
    expect(result.p50Ms).toBeLessThanOrEqual(result.p99Ms);
    expect(result.opsPerSec).toBeGreaterThan(0);
  });

  test("hotSequential fails when the server loses an increment", async () => {
    lose = true;
    try {
      await expect(hotSequential(url, { actorId: "hot-2", n: 5, warmup: 0 })).rejects.toThrow(/count went/);
    } finally {
      lose = false;
    }
  });

  test("spreadConcurrent sends each of total increments once, round-robin over the actors", async () => {
    const result = await spreadConcurrent(url, {
      actors: 10,
      total: 200,
      clients: 4,
      prefix: "s",
      warmup: 0,
    });
    expect(result.total).toBe(200);
    for (let i = 0; i < 10; i++) expect(counts.get(`s-${i}`)).toBe(20);
  });
});
