import { describe, expect, test } from "bun:test";
import { systemClock } from "../../runtime/ports/clock.ts";
import { BACKENDS, openEnvironment, type Worker } from "./backends.ts";
import { describeCheck, percentile, runCounterWorkload, tallyCounter } from "./counter-workload.ts";
import { FencingLedger } from "./fencing-ledger.ts";
import { freshId } from "./scenario-kit.ts";
import { SEEDS, seedTag, sized } from "./seed.ts";
import { skewedClock } from "./skewed-clock.ts";
import { recordRun, scenarioFile } from "./tally.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 12. Four workers on one counter with a 200 ms lease; one worker's clock runs 5 s ahead
 * (every lease looks expired to it, so it takes the actor over at will) and one runs 5 s behind
 * (its leases look long expired to everyone else). Leases may then overlap in time, but commits are
 * fenced by epoch and version, not by clocks: no increment may be lost or doubled, the history must
 * stay linearizable and no stale commit may land. Clients retry with the same message id, so every
 * increment is eventually acknowledged: only latency may change.
 */
const LEASE_MS = 200;
const SKEWS = [5_000, -5_000, 0, 0];
// A sweep (--seeds) runs 4×15 and 4×8 increments with the same skews.
const SCALE = sized({ local: 100, aws: 40 }, { local: 15, aws: 8 });

for (const backend of BACKENDS) {
  describe(`[${backend}] clock skew`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] workers 5 s ahead and 5 s behind: every increment applied once, linearizable, fenced; only latency changes${seedTag(seed)}`, async () => {
        const env = await openEnvironment(backend, { label: "s12", seed });
        const ledger = new FencingLedger();
        try {
          const workers: Worker[] = [];
          for (const [i, skew] of SKEWS.entries()) {
            workers.push(
              await env.worker({
                name: `s12-${backend}-w${i}${skew > 0 ? "-ahead" : skew < 0 ? "-behind" : ""}`,
                actors: [tallyCounter],
                clock: skewedClock(systemClock, skew),
                observer: ledger,
                faults: [{ ops: "all", latencyMs: [0, 2] }],
                fabric: { leaseMs: LEASE_MS, leaseWaitMs: 60_000, maxRetries: 8 },
              }),
            );
          }
          const actorId = freshId("skewed");
          const result = await runCounterWorkload({
            actorId,
            workers,
            opsPerWorker: SCALE[backend],
            readEvery: 10,
            retrySameId: { attempts: 20 },
          });
          const fencing = ledger.problems(actorId, result.final.version);
          const perWorker = workers.map((w) => {
            const own = result.latenciesByWorker.get(w.name) ?? [];
            return `${w.name.split("-").slice(2).join("-")} p50 ${percentile(own, 50).toFixed(0)} ms p99 ${percentile(own, 99).toFixed(0)} ms`;
          });
          console.log(
            `[${backend}] s12: ${result.operations} ops, ${result.acknowledged.length} acked, final ${result.final.count}, ` +
              `${ledger.staleRejected} stale commits refused, retried errors ${[...result.errors].map(([c, n]) => `${c}×${n}`).join(" ") || "none"}; ${perWorker.join(", ")}`,
          );
          recordRun("clock skew", backend, {
            operations: result.operations,
            lost: result.lost.length + result.ambiguous.length,
            duplicated: result.duplicated.length + result.phantom.length,
            violations: (result.linearizable.ok === false ? 1 : 0) + fencing.length,
          });

          expect(result.ambiguous).toEqual([]);
          expect(result.lost).toEqual([]);
          expect(result.duplicated).toEqual([]);
          expect(result.phantom).toEqual([]);
          expect(result.final.count).toBe(result.acknowledged.length);
          expect(result.linearizable.ok, describeCheck(result.linearizable)).toBe(true);
          expect(fencing).toEqual([]);
        } finally {
          await env.close();
        }
      });
  });
}
