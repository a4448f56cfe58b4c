import { describe, expect, test } from "bun:test";
import type { TurnLogEntry } from "../../runtime/core/turn.ts";
import { BACKENDS, openEnvironment } from "./backends.ts";
import { tallyCounter } from "./counter-workload.ts";
import { FencingLedger } from "./fencing-ledger.ts";
import { deferred, freshId } from "./scenario-kit.ts";
import { SEEDS, seedTag } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 42 (the warm grace). A keeps the actors it commits for a long grace (10 s) and dies
 * inside it twice: once right after a commit (its grace lease left behind), once in the middle of
 * a warm turn whose write never leaves (frozen for good). Each time B calls the actor at once: it
 * must not wait for the dead holder's grace (a grace lease yields to any acquire), every
 * acknowledged increment must be there once, and the frozen warm turn must never land.
 */
const GRACE_MS = 10_000;

for (const backend of BACKENDS) {
  describe(`[${backend}] crash inside the warm grace`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] a holder that dies inside its grace, idle or mid-turn, blocks no one${seedTag(seed)}`, async () => {
        const env = await openEnvironment(backend, { label: "s42", seed });
        const ledger = new FencingLedger();
        const actorId = freshId("warm-crash");
        const frozen = deferred();
        let freeze = false;
        const turnsB: TurnLogEntry[] = [];
        try {
          const deadAfterCommit = await env.worker({
            name: `s42-${backend}-A1`,
            actors: [tallyCounter],
            observer: ledger,
            fabric: { warmGraceMs: GRACE_MS },
          });
          const deadMidTurn = await env.worker({
            name: `s42-${backend}-A2`,
            actors: [tallyCounter],
            observer: ledger,
            // Its warm write stalls forever: the container was frozen and never thawed.
            faults: [
              {
                ops: ["commit"],
                when: () => freeze,
                pause: {
                  rate: 1,
                  ms: 0,
                  until: () => {
                    frozen.resolve();
                    return new Promise<void>(() => undefined);
                  },
                },
              },
            ],
            fabric: { warmGraceMs: GRACE_MS },
          });
          const b = await env.worker({
            name: `s42-${backend}-B`,
            actors: [tallyCounter],
            observer: ledger,
            fabric: { onTurn: (t) => turnsB.push(t) },
          });
          const increment = (w: typeof b, tag: string) =>
            w.fabric.invoke({ actorId, handler: "increment", input: { tag } });

          // A1 commits (keeping a 10 s grace) and is never heard from again.
          await increment(deadAfterCommit, "a1");
          const startedB1 = performance.now();
          await increment(b, "b1");
          const waitedB1 = performance.now() - startedB1;

          // A2 commits, then dies inside its next (warm) turn, before the write leaves.
          await increment(deadMidTurn, "a2");
          freeze = true;
          void increment(deadMidTurn, "lost-in-freeze").catch(() => undefined);
          await frozen.promise;
          const startedB2 = performance.now();
          await increment(b, "b2");
          const waitedB2 = performance.now() - startedB2;

          const record = await b.raw.store.read(actorId);
          const state = record?.state as { count: number; applied: string[] };
          const fencing = ledger.problems(actorId, record?.version ?? 0);
          const acknowledged = ["a1", "b1", "a2", "b2"];
          recordRun("crash inside the warm grace", backend, {
            operations: 5,
            lost: acknowledged.filter((tag) => !state.applied.includes(tag)).length,
            duplicated: state.applied.length - new Set(state.applied).size,
            violations: fencing.length,
          });

          expect(state).toEqual({ count: 4, applied: acknowledged });
          // Neither dead holder's 10 s grace held B up (leaseWaitMs counts the acquire's own round trip).
          expect(Math.max(...turnsB.map((t) => t.leaseWaitMs))).toBeLessThan(1_000);
          expect(Math.max(waitedB1, waitedB2)).toBeLessThan(2_000);
          expect(fencing).toEqual([]);
        } finally {
          await env.close();
        }
      });
  });
}
