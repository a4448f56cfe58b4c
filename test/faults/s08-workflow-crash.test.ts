import { describe, expect, test } from "bun:test";
import { actor } from "../../runtime/core/actor.ts";
import type { StepRecord } from "../../runtime/ports/step-store.ts";
import { BACKENDS, openEnvironment, type Worker } from "./backends.ts";
import type { FaultRule } from "./fault-injector.ts";
import { freshId } from "./scenario-kit.ts";
import { SEEDS, seedTag } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 8. A three-step workflow (reserve, charge, ship) crashed at every point in turn: after
 * step k was recorded, between step k's effect and its record, and after the final commit. The
 * message is retried with the same id until it succeeds. The final state must equal a crash-free
 * run's, and each step's effect must happen once: the external service counts raw calls and, like
 * a payments API, dedupes by the step's idempotency key. A crash is an injected failure at the
 * step store or actor store port, on both backends.
 */
const STEPS = ["reserve", "charge", "ship"] as const;

/** The outside world: raw calls per (actor, step), effects kept once per idempotency key. */
const external = {
  calls: new Map<string, number>(),
  effects: new Map<string, string>(),
  call(actorId: string, step: string, key: string, order: string): string {
    const id = `${actorId}/${step}`;
    external.calls.set(id, (external.calls.get(id) ?? 0) + 1);
    if (!external.effects.has(key)) external.effects.set(key, `${step}:${order}`);
    return external.effects.get(key) as string;
  },
  effectsOf(actorId: string): number {
    return [...external.effects.keys()].filter((key) => key.startsWith(`${actorId}:`)).length;
  },
};

const workflow = actor("workflow", {
  state: () => ({ orders: [] as { order: string; results: string[] }[] }),
  handlers: {
    async run(ctx, input: { order: string }) {
      const results: string[] = [];
      for (const step of STEPS) {
        results.push(
          await ctx.step(step, ({ idempotencyKey }) =>
            external.call(ctx.actorId, step, idempotencyKey, input.order),
          ),
        );
      }
      ctx.state.orders.push({ order: input.order, results });
      return results;
    },
  },
});

type CrashPoint = { after: "recorded" | "effect"; step: (typeof STEPS)[number] } | { after: "commit" };

const CRASH_POINTS: CrashPoint[] = [
  ...STEPS.map((step) => ({ after: "recorded" as const, step })),
  ...STEPS.map((step) => ({ after: "effect" as const, step })),
  { after: "commit" },
];

function crashRule(point: CrashPoint): FaultRule {
  if (point.after === "commit") return { ops: ["commit"], ambiguousAfter: 1, limit: 1 };
  const isStep = (args: unknown) =>
    Array.isArray(args) && (args[2] as StepRecord | undefined)?.key === point.step;
  return point.after === "recorded"
    ? { ops: ["stepRecord"], ambiguousAfter: 1, limit: 1, when: (call) => isStep(call.args) }
    : { ops: ["stepRecord"], errorBefore: 1, limit: 1, when: (call) => isStep(call.args) };
}

function label(point: CrashPoint): string {
  return point.after === "commit"
    ? "after the commit"
    : `${point.after === "recorded" ? "after" : "before recording"} ${point.step}`;
}

/** Runs the workflow for one order, retrying with the same message id as a queue would. */
async function runToCompletion(
  w: Worker,
  actorId: string,
  order: string,
): Promise<{ attempts: number; result: unknown }> {
  const messageId = freshId("run");
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await w.fabric.invoke({ actorId, handler: "run", input: { order }, messageId });
      return { attempts: attempt, result: response.result };
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
}

for (const backend of BACKENDS) {
  describe(`[${backend}] workflow crashed after each step`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] a crash after each step, between each effect and its record, and after the commit ends in the crash-free state with each effect once${seedTag(seed)}`, async () => {
        const env = await openEnvironment(backend, { label: "s08", seed });
        try {
          const clean = await env.worker({ name: `s08-${backend}-clean`, actors: [workflow] });
          const baselineId = freshId("workflow");
          await runToCompletion(clean, baselineId, "o-1");
          const baseline = (await clean.raw.store.read(baselineId))?.state;
          const cases: {
            point: string;
            state: unknown;
            attempts: number;
            crashed: number;
            calls: number[];
            effects: number;
          }[] = [];
          for (const point of CRASH_POINTS) {
            const w = await env.worker({
              name: `s08-${backend}-${cases.length}`,
              actors: [workflow],
              portFaults: [crashRule(point)],
            });
            const actorId = freshId("workflow");
            const { attempts } = await runToCompletion(w, actorId, "o-1");
            cases.push({
              point: label(point),
              state: (await w.raw.store.read(actorId))?.state,
              attempts,
              crashed: w.crashes.events.length,
              calls: STEPS.map((step) => external.calls.get(`${actorId}/${step}`) ?? 0),
              effects: external.effectsOf(actorId),
            });
          }
          const wrong = cases.filter((c) => JSON.stringify(c.state) !== JSON.stringify(baseline));
          recordRun("workflow crashed after each step", backend, {
            operations: cases.reduce((n, c) => n + c.attempts, 1),
            lost: wrong.length,
            duplicated: cases.reduce((n, c) => n + Math.max(0, c.effects - STEPS.length), 0),
          });

          expect(baseline).toEqual({
            orders: [{ order: "o-1", results: ["reserve:o-1", "charge:o-1", "ship:o-1"] }],
          });
          for (const c of cases) {
            expect({
              point: c.point,
              crashed: c.crashed,
              retried: c.attempts > 1,
              state: c.state,
              effects: c.effects,
            }).toEqual({
              point: c.point,
              crashed: 1,
              retried: true,
              state: baseline,
              effects: STEPS.length,
            });
            // A recorded step is replayed, never re-run; only a step whose record was lost runs again
            // (and its idempotency key keeps the effect single).
            const expectedCalls = STEPS.map((step) => (c.point === `before recording ${step}` ? 2 : 1));
            expect({ point: c.point, calls: c.calls }).toEqual({ point: c.point, calls: expectedCalls });
          }
        } finally {
          await env.close();
        }
      });
  });
}
