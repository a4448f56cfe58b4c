import { describe, expect, test } from "bun:test";
import { actor } from "../../runtime/core/actor.ts";
import type { Lease } from "../../runtime/ports/actor-store.ts";
import { BACKENDS, openEnvironment } from "./backends.ts";
import { sleep } from "./fault-injector.ts";
import { FencingLedger } from "./fencing-ledger.ts";
import { deferred, freshId } from "./scenario-kit.ts";
import { SEEDS, seedTag } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 2. A takes the lease (200 ms), runs its handler (a state change and an outgoing message)
 * and stalls right before its commit leaves for twice its lease. Meanwhile B takes the actor over
 * and commits, keeping its lease. A then resumes: its state, its outbox and its release must all
 * bounce off B's epoch, and B must still hold the actor.
 */
const LEASE_MS = 200;

const zombie = actor("zombie", {
  state: () => ({ value: "", notes: [] as string[] }),
  handlers: {
    write(ctx, input: { value: string; notify?: string }) {
      ctx.state.value = input.value;
      if (input.notify) ctx.send(input.notify, "note", { from: input.value });
      return { value: input.value };
    },
    note(ctx, input: { from: string }) {
      ctx.state.notes.push(input.from);
    },
  },
});

for (const backend of BACKENDS) {
  describe(`[${backend}] zombie holder`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] a holder that stalls for twice its lease has its state, outbox and release refused; the new holder's lease survives${seedTag(seed)}`, async () => {
        const env = await openEnvironment(backend, { label: "s02", seed });
        const ledger = new FencingLedger();
        const actorId = freshId("zombie");
        const target = freshId("zombie-inbox");
        const stalled = deferred();
        const takenOver = deferred();
        try {
          const a = await env.worker({
            name: `s02-${backend}-A`,
            actors: [zombie],
            observer: ledger,
            // One stall, on A's commit, lasting at least twice the lease and until B has committed.
            faults: [
              {
                ops: ["commit"],
                limit: 1,
                pause: {
                  rate: 1,
                  ms: 2 * LEASE_MS,
                  until: () => {
                    stalled.resolve();
                    return takenOver.promise;
                  },
                },
              },
            ],
            fabric: { leaseMs: LEASE_MS, maxRetries: 0 },
          });
          const b = await env.worker({ name: `s02-${backend}-B`, actors: [zombie], observer: ledger });
          const zombieTurn = a.fabric.invoke({
            actorId,
            handler: "write",
            input: { value: "A", notify: target },
          });
          zombieTurn.catch(() => undefined);

          await stalled.promise;
          await sleep(LEASE_MS + 50);
          let leaseB: Lease | undefined;
          for (let attempt = 0; !leaseB && attempt < 20; attempt++) {
            leaseB = await b.ports.store
              .acquireLease(actorId, "B", 30_000, Date.now())
              .catch(() => undefined);
            if (!leaseB) await sleep(LEASE_MS / 4);
          }
          if (!leaseB) throw new Error("B never got the lease after A's expired");
          const base = {
            actorType: "zombie",
            timers: {},
            parked: null,
            outbox: [],
            waiting: null,
            hold: [],
            drained: [],
          };
          await b.ports.store.commit({
            ...base,
            lease: leaseB,
            expectedVersion: 0,
            version: 1,
            state: { value: "B", notes: [] },
            markers: [{ messageId: "b-1", version: 1, result: null }],
            release: false,
            now: Date.now(),
          });
          takenOver.resolve();

          const refused = await zombieTurn.then(
            () => undefined,
            (error: unknown) => error,
          );
          const record = await b.raw.store.read(actorId);
          const relayed = await b.raw.queue.receive({ maxMessages: 10, visibilityTimeoutMs: 1_000 });
          const intruder = await b.raw.store.acquireLease(actorId, "C", 1_000, Date.now()).then(
            () => "acquired",
            (error: { code?: string; details?: { holder?: string } }) =>
              `${error.code} by ${error.details?.holder}`,
          );
          // B's lease is intact: it can still commit with it.
          const secondCommit = await b.ports.store
            .commit({
              ...base,
              lease: leaseB,
              expectedVersion: 1,
              version: 2,
              state: { value: "B2", notes: [] },
              markers: [{ messageId: "b-2", version: 2, result: null }],
              release: true,
              now: Date.now(),
            })
            .then(
              () => "committed",
              (error: { code?: string }) => error.code,
            );
          const zombieLanded = ledger.applied.some((c) => c.owner.startsWith(a.name));
          recordRun("zombie holder", backend, {
            operations: 4,
            lost: secondCommit === "committed" ? 0 : 1,
            duplicated: relayed.length,
            violations: (zombieLanded ? 1 : 0) + ledger.staleAccepted.length,
          });

          expect(refused).toMatchObject({ code: "LEASE_LOST" });
          expect(ledger.staleRejected).toBe(1);
          expect(zombieLanded).toBe(false);
          expect(record).toMatchObject({ version: 1, state: { value: "B", notes: [] }, outbox: [] });
          expect(relayed).toEqual([]);
          expect(intruder).toBe("LEASE_HELD by B");
          expect(secondCommit).toBe("committed");
          expect((await b.raw.store.read(actorId))?.state).toEqual({ value: "B2", notes: [] });
          expect(await b.raw.store.read(target)).toBeNull();
        } finally {
          await env.close();
        }
      });
  });
}
