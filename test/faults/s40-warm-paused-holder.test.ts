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
 * Scenario 40 (the warm grace). A commits an increment and keeps the actor for a 1 s grace. Its
 * next call runs warm (on what it committed, nothing read) and stalls right before its one write
 * leaves, for twice the grace and until B has taken the actor and committed. B must not wait for
 * A's grace; A's warm write must bounce off B's epoch (the fence), and A's call must then run the
 * ordinary way on B's version: three increments, each applied once, versions 1..3 in epoch order.
 */
const GRACE_MS = 1_000;

for (const backend of BACKENDS) {
  describe(`[${backend}] warm holder paused past its grace`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] a warm write stalled past its 1 s grace is refused after another process took the actor, and runs again on its version${seedTag(seed)}`, async () => {
        const env = await openEnvironment(backend, { label: "s40", seed });
        const ledger = new FencingLedger();
        const actorId = freshId("warm-paused");
        const stalled = deferred();
        const takenOver = deferred();
        let armed = false;
        const turnsA: TurnLogEntry[] = [];
        const turnsB: TurnLogEntry[] = [];
        try {
          const a = await env.worker({
            name: `s40-${backend}-A`,
            actors: [tallyCounter],
            observer: ledger,
            faults: [
              {
                ops: ["commit"],
                limit: 1,
                when: () => armed,
                pause: {
                  rate: 1,
                  ms: 2 * GRACE_MS,
                  until: () => {
                    stalled.resolve();
                    return takenOver.promise;
                  },
                },
              },
            ],
            fabric: { warmGraceMs: GRACE_MS, onTurn: (t) => turnsA.push(t) },
          });
          const b = await env.worker({
            name: `s40-${backend}-B`,
            actors: [tallyCounter],
            observer: ledger,
            fabric: { warmGraceMs: GRACE_MS, onTurn: (t) => turnsB.push(t) },
          });
          const increment = (w: typeof a, tag: string) =>
            w.fabric.invoke({ actorId, handler: "increment", input: { tag } });

          await increment(a, "a1");
          armed = true;
          const warmCall = increment(a, "a2");
          warmCall.catch(() => undefined);
          await stalled.promise;
          const startedB = performance.now();
          const fromB = await increment(b, "b1");
          const waitedB = performance.now() - startedB;
          takenOver.resolve();
          const fromA = await warmCall;

          const record = await a.raw.store.read(actorId);
          const state = record?.state as { count: number; applied: string[] };
          const fencing = ledger.problems(actorId, record?.version ?? 0);
          const applied = new Map<string, number>();
          for (const tag of state.applied) applied.set(tag, (applied.get(tag) ?? 0) + 1);
          recordRun("warm holder paused past its grace", backend, {
            operations: 3,
            lost: ["a1", "a2", "b1"].filter((tag) => !applied.has(tag)).length,
            duplicated: [...applied.values()].filter((n) => n > 1).length,
            violations: fencing.length,
          });

          expect(fromB.result).toEqual({ count: 2 });
          // B never waited for A's grace (leaseWaitMs counts the acquire's own round trip too).
          expect(turnsB[0]?.leaseWaitMs).toBeLessThan(GRACE_MS / 4);
          expect(waitedB).toBeLessThan(GRACE_MS / 2);
          expect(fromA).toMatchObject({ result: { count: 3 }, version: 3 });
          // The stalled call ran warm with A's first lease: that write was the stale one the store
          // refused, and the turn A reports is the ordinary one it then ran.
          expect(ledger.staleRejected).toBe(1);
          expect(turnsA).toHaveLength(2);
          expect(ledger.staleAccepted).toEqual([]);
          expect(fencing).toEqual([]);
          expect(state).toEqual({ count: 3, applied: ["a1", "b1", "a2"] });
        } finally {
          await env.close();
        }
      });
  });
}
