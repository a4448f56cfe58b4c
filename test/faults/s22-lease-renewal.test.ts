import { describe, expect, test } from "bun:test";
import type { DurableInvokeEvent, DurableInvokeResult } from "../../runtime/adapters/aws/invoke-event.ts";
import { actor } from "../../runtime/core/actor.ts";
import { BACKENDS, type Environment, openEnvironment } from "./backends.ts";
import { tagsOf } from "./delivery.ts";
import { sleep } from "./fault-injector.ts";
import { invokeLambda, lambdaOf } from "./lambda-kit.ts";
import { freshId } from "./scenario-kit.ts";
import { SEEDS, seedTag, sized } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";
import type { Worker } from "./worker.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 22, issue 11 finding 9: leases and long turns. With a lease of LEASE_MS (the fabric's
 * lease locally, DURABLE_LEASE_MS on aws):
 * (a) a handler running three leases long keeps its lease by renewing it, commits once and runs
 *     once;
 * (b) a holder whose process dies mid-handler (on aws a Lambda killed at its 300 ms timeout,
 *     locally a process killed) blocks its actor for at most about one lease: the next call gets
 *     through well before a Lambda's remaining time (60 s for that call) would have let it;
 * (c) a lease taken for a turn whose load then fails is released at once, not left to expire.
 * Fails on 51c08f4: locally the long handler's commit is refused (lease expired) and it runs
 * again and again; on aws a lease lasts the invocation's remaining time, so (b) times out; and
 * the failed load's lease stays taken.
 */
const LEASE_MS = sized(400, 300);

const runs = new Map<string, number>();

const plodder = actor("plodder", {
  state: () => ({ log: [] as string[] }),
  handlers: {
    async slow(ctx, input: { tag: string; ms: number }) {
      runs.set(ctx.actorId, (runs.get(ctx.actorId) ?? 0) + 1);
      await sleep(input.ms);
      ctx.state.log.push(input.tag);
    },
    bump(ctx, input: { tag: string }) {
      ctx.state.log.push(input.tag);
    },
  },
});

/**
 * A sync call with an id: on aws through the Lambda entry (60 s left unless `timeoutMs` says less;
 * the process is killed when it runs out), locally through the fabric.
 */
async function call(
  w: Worker,
  actorId: string,
  handler: string,
  input: { tag: string; ms?: number },
  timeoutMs = 60_000,
) {
  const messageId = freshId(input.tag);
  if (!w.aws) {
    const lived = await w.life.run(
      w.fabric.invoke({ actorId, handler, input, messageId }).then(
        () => "ok",
        (error: { code?: string }) => error.code ?? String(error),
      ),
    );
    return lived.crashed ? "crashed" : lived.value;
  }
  const lambda = lambdaOf(w, [plodder], { leaseWaitMs: 5_000 });
  const event: DurableInvokeEvent = { type: "durable.invoke", actorId, handler, input, messageId };
  const lived = await invokeLambda(
    w,
    (e: DurableInvokeEvent, c) => lambda(e, c) as Promise<DurableInvokeResult>,
    event,
    timeoutMs,
  );
  if (lived.crashed) return "crashed";
  return lived.value.ok ? "ok" : lived.value.error.code;
}

interface Outcome {
  long: { answer: string; runs: number; log: string[] };
  afterCrash: { died: string; answer: string; waitedMs: number };
  failedLoad: { answer: string; leaseFree: boolean };
}

async function run(env: Environment, backend: string): Promise<Outcome> {
  const worker = (name: string, extra: object = {}) =>
    env.worker({
      name: `s22-${backend}-${name}`,
      actors: [plodder],
      fabric: { leaseMs: LEASE_MS },
      ...extra,
    });
  const w = await worker("caller");

  const long = freshId("plodder");
  const longAnswer = await call(w, long, "slow", { tag: "long", ms: 3 * LEASE_MS });

  const held = freshId("plodder");
  const dying = await worker("dying");
  // On aws the Lambda's timeout kills it mid-handler; locally the process is killed (out of memory).
  const dyingCall = call(dying, held, "slow", { tag: "never", ms: 3_000 }, 300);
  if (!dying.aws) {
    await sleep(150);
    dying.life.kill("killed mid-handler (out of memory)");
  }
  const died = await dyingCall;
  const started = performance.now();
  const afterCrash = await call(w, held, "bump", { tag: "next" });
  const waitedMs = Math.round(performance.now() - started);

  const loadless = freshId("plodder");
  const failing = await worker("failing-load", { portFaults: [{ ops: ["load"], errorBefore: 1, limit: 1 }] });
  const failedAnswer = await call(failing, loadless, "bump", { tag: "x" });
  const leaseFree = await w.raw.store.acquireLease(loadless, "probe", 1_000, Date.now()).then(
    () => true,
    () => false,
  );
  return {
    long: { answer: longAnswer, runs: runs.get(long) ?? 0, log: await tagsOf(w, long) },
    afterCrash: { died, answer: afterCrash, waitedMs },
    failedLoad: { answer: failedAnswer, leaseFree },
  };
}

for (const backend of BACKENDS) {
  describe(`[${backend}] leases and long turns`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] a handler three leases long renews and commits once; a dead holder blocks for about a lease; a failed load releases its lease${seedTag(seed)}`, async () => {
        const env = await openEnvironment(backend, { label: "s22", seed, leaseMs: LEASE_MS });
        try {
          const o = await run(env, backend);
          console.log(`[${backend}] s22: lease ${LEASE_MS} ms; ${JSON.stringify(o)}`);
          // About one lease: the lease itself, a lease wait's polling, a cold first request.
          const blockedTooLong = o.afterCrash.waitedMs > LEASE_MS + 1_500;
          recordRun("leases and long turns", backend, {
            operations: 4,
            lost: (o.long.log.length === 0 ? 1 : 0) + (o.afterCrash.answer === "ok" ? 0 : 1),
            duplicated: Math.max(0, o.long.runs - 1) + Math.max(0, o.long.log.length - 1),
            violations: (blockedTooLong ? 1 : 0) + (o.failedLoad.leaseFree ? 0 : 1),
          });

          expect(o.long).toEqual({ answer: "ok", runs: 1, log: ["long"] });
          expect(o.afterCrash.died).toBe("crashed");
          expect(o.afterCrash.answer).toBe("ok");
          expect(o.afterCrash.waitedMs).toBeLessThan(LEASE_MS + 1_500);
          expect(o.failedLoad.answer).not.toBe("ok");
          expect(o.failedLoad.leaseFree).toBe(true);
        } finally {
          await env.close();
        }
      });
  });
}
