import { expect } from "bun:test";
import { invoke, stateOf, type TemplateName } from "./fixtures.ts";

/**
 * For each template, a short session a user would type in the generated project (`npx durable
 * invoke … --sync --json`, `npx durable state get … --json`) and the state it must leave.
 */
export interface Scenario {
  /** What the session proves; it becomes the test's name. */
  title: string;
  /** How many CLI processes the session runs in sequence (the longest start first). */
  cliCalls: number;
  run(project: string): Promise<void>;
}

type Take = { allowed: boolean; remaining: number; retryAfterMs: number };
type Ranked = { rank: number; player: string; score: number };
type Order = { status: string; total: number | null; chargeId: string | null; reason: string | null };
type Stock = { sku: string; price: number; available: number; reserved: number; shipped: number };
type JobView = { id: string; nextRunAt: string | null; runs: number };
type Breaker = { status: string; opens: number; halfOpenAt: string | null };

export const SCENARIOS: Record<TemplateName, Scenario> = {
  counter: {
    cliCalls: 3,
    title: "counter: invoke increments and state get shows the count and version",
    async run(project) {
      expect(await invoke(project, "counter-1", "increment")).toEqual({ count: 1 });
      expect(await invoke(project, "counter-1", "increment", { by: 5 })).toEqual({ count: 6 });
      expect(await stateOf(project, "counter-1")).toMatchObject({ version: 2, state: { count: 6 } });
    },
  },

  "rate-limiter": {
    cliCalls: 3,
    title: "rate-limiter: of four takes from four processes at once, the one past the capacity is refused",
    async run(project) {
      await invoke(project, "rate-limiter-api", "configure", { capacity: 3, refillPerSecond: 0.001 });
      const takes = await Promise.all(
        [1, 2, 3, 4].map(() => invoke<Take>(project, "rate-limiter-api", "take")),
      );
      expect(takes.filter((t) => t.allowed)).toHaveLength(3);
      const refused = takes.find((t) => !t.allowed);
      expect(refused?.retryAfterMs).toBeGreaterThan(0);
      expect(await stateOf(project, "rate-limiter-api")).toMatchObject({ state: { allowed: 3, denied: 1 } });
    },
  },

  leaderboard: {
    cliCalls: 4,
    title: "leaderboard: top lists best scores first and rank places a player",
    async run(project) {
      await Promise.all([
        invoke(project, "leaderboard-global", "submit", { player: "ada", score: 42 }),
        invoke(project, "leaderboard-global", "submit", { player: "bob", score: 57 }),
      ]);
      expect(
        await invoke(project, "leaderboard-global", "submit", { player: "ada", score: 12 }),
      ).toMatchObject({
        best: 42,
        improved: false,
      });
      const top = await invoke<Ranked[]>(project, "leaderboard-global", "top", { n: 10 });
      expect(top.map(({ rank, player, score }) => ({ rank, player, score }))).toEqual([
        { rank: 1, player: "bob", score: 57 },
        { rank: 2, player: "ada", score: 42 },
      ]);
      expect(await invoke(project, "leaderboard-global", "rank", { player: "ada" })).toMatchObject({
        rank: 2,
        score: 42,
      });
    },
  },

  "order-processing": {
    cliCalls: 3,
    title:
      "order-processing: a placed order ships, a declined one releases its stock, status and inventory agree",
    async run(project) {
      const [shipped, declined] = await Promise.all([
        invoke<Order>(project, "order-1", "place", { lines: [{ sku: "book", qty: 2 }] }),
        invoke<Order>(project, "order-2", "place", { lines: [{ sku: "mug", qty: 1 }], card: "tok_declined" }),
      ]);
      expect(shipped).toMatchObject({ status: "shipped", total: 3000, chargeId: "ch_1" });
      expect(declined).toMatchObject({ status: "payment_declined", reason: "card_declined" });
      expect(await invoke<Order>(project, "order-1", "status")).toMatchObject({ status: "shipped" });
      const inventory = await stateOf<{ items: Stock[] }>(project, "inventory-main");
      expect(inventory.state.items.filter((i) => i.sku !== "poster")).toEqual([
        { sku: "book", price: 1500, available: 8, reserved: 0, shipped: 2 },
        { sku: "mug", price: 800, available: 5, reserved: 0, shipped: 0 },
      ]);
    },
  },

  "distributed-cron": {
    cliCalls: 3,
    title: "distributed-cron: a registered job is listed with its next run, backed by a named timer",
    async run(project) {
      const before = Date.now();
      await invoke(project, "cron-main", "register", {
        id: "reports",
        schedule: "*/5 * * * *",
        target: { actorId: "worker-reports", handler: "run" },
      });
      const [job] = await invoke<JobView[]>(project, "cron-main", "list");
      const next = Date.parse(job?.nextRunAt ?? "");
      expect(job).toMatchObject({ id: "reports", runs: 0 });
      expect(next).toBeGreaterThan(before);
      expect(next - before).toBeLessThanOrEqual(5 * 60_000);
      expect(next % (5 * 60_000)).toBe(0);
      // Times read by people are ISO 8601, in state get as in the actor's own view.
      expect((await stateOf(project, "cron-main")).timers.reports?.at).toBe(new Date(next).toISOString());
    },
  },

  "circuit-breaker": {
    cliCalls: 6,
    title: "circuit-breaker: the circuit opens after the failure threshold and refuses calls",
    async run(project) {
      await invoke(project, "breaker-payments", "configure", { failureThreshold: 3, openMs: 60_000 });
      for (let i = 0; i < 3; i++) await invoke(project, "breaker-payments", "record", { ok: false });
      const record = await stateOf<Breaker>(project, "breaker-payments");
      expect(record.state).toMatchObject({ status: "open", opens: 1 });
      expect(Object.keys(record.timers)).toEqual(["half-open"]);
      expect(await invoke(project, "breaker-payments", "allow")).toMatchObject({
        allowed: false,
        status: "open",
      });
    },
  },
};
