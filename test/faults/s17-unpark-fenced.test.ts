import { describe, expect, test } from "bun:test";
import { actor } from "../../runtime/core/actor.ts";
import type { UnparkResult } from "../../runtime/core/fabric.ts";
import { BACKENDS, openEnvironment } from "./backends.ts";
import { settle } from "./delivery.ts";
import { sleep } from "./fault-injector.ts";
import { deferred, freshId } from "./scenario-kit.ts";
import { SEEDS, seedTag } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 17, issue 11 finding 4: unpark is fenced like a turn. An actor is parked; a sync call
 * (which runs on a parked actor) loads the parked record, and its commit stalls before it leaves,
 * past its lease; meanwhile an operator unparks the actor. Whatever the interleaving, the unpark
 * must never be undone (no `parked` written back by the stalled turn), and the call must still be
 * applied, once (it is retried with its message id, as a client retries).
 * Fails on 51c08f4: unpark is an unfenced flag removal, and the stalled commit writes the parked
 * record it loaded back over it.
 */
const LEASE_MS = 400;

const gate = actor("gate", {
  state: () => ({ writes: [] as string[] }),
  handlers: {
    poison() {
      throw new Error("this message always fails (injected)");
    },
    set(ctx, input: { value: string }) {
      ctx.state.writes.push(input.value);
      return ctx.state.writes.length;
    },
  },
});

for (const backend of BACKENDS) {
  describe(`[${backend}] unpark racing a turn`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] a state-changing call that loaded the parked record and stalls before its commit never writes the park back over an unpark${seedTag(seed)}`, async () => {
        // One permitted delivery: the poison message parks the actor at its first failure.
        const env = await openEnvironment(backend, { label: "s17", seed, maxReceives: 1 });
        try {
          const parker = await env.worker({ name: `s17-${backend}-parker`, actors: [gate] });
          const actorId = freshId("gate");
          await parker.raw.queue.send([
            { id: freshId("poison"), actorId, actorType: "gate", handler: "poison", kind: "send" },
          ]);
          await settle(env, parker, [gate]);
          const before = await parker.raw.store.read(actorId);

          const stalled = deferred();
          const unparked = deferred();
          const caller = await env.worker({
            name: `s17-${backend}-caller`,
            actors: [gate],
            faults: [
              {
                ops: ["commit"],
                limit: 1,
                pause: {
                  rate: 1,
                  ms: 20,
                  // Held until the unpark is done, or well past the lease if the unpark waits for it.
                  until: () => {
                    stalled.resolve();
                    return Promise.race([unparked.promise, sleep(LEASE_MS * 4)]);
                  },
                },
              },
            ],
            fabric: { leaseMs: LEASE_MS },
          });
          const operator = await env.worker({ name: `s17-${backend}-operator`, actors: [gate] });
          const messageId = freshId("set");
          const call = async () => {
            for (let attempt = 1; ; attempt++) {
              try {
                return await caller.fabric.invoke({
                  actorId,
                  handler: "set",
                  input: { value: "c" },
                  messageId,
                });
              } catch (error) {
                if (attempt >= 5) throw error;
              }
            }
          };
          const calling = call();
          await stalled.promise;
          let result: UnparkResult | undefined;
          try {
            result = await operator.fabric.unpark(actorId);
          } finally {
            unparked.resolve();
          }
          const response = await calling;
          const after = await operator.raw.store.read(actorId);
          const writes = (after?.state as { writes: string[] } | undefined)?.writes ?? [];
          console.log(
            `[${backend}] s17: parked before ${before?.parked ? "yes" : "no"}; unpark ${JSON.stringify(result)}; ` +
              `call answered version ${response.version}; after: parked ${after?.parked ? "yes (undone)" : "no"}, writes ${writes.join(",")}`,
          );
          recordRun("unpark fenced against a racing turn", backend, {
            operations: 3,
            lost: writes.includes("c") ? 0 : 1,
            duplicated: Math.max(0, writes.length - 1),
            violations: after?.parked ? 1 : 0,
          });

          expect(before?.parked).not.toBeNull();
          expect(caller.faults.counts.pause).toBe(1);
          expect(result?.wasParked).toBe(true);
          expect(after?.parked).toBeNull();
          expect(writes).toEqual(["c"]);
        } finally {
          await env.close();
        }
      });
  });
}
