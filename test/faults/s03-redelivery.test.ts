import { describe, expect, test } from "bun:test";
import { actor } from "../../runtime/core/actor.ts";
import { drainQueue } from "../../runtime/core/queue-worker.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import { ManualClock } from "../../runtime/testing/manual-clock.ts";
import { BACKENDS, openEnvironment } from "./backends.ts";
import { freshId } from "./scenario-kit.ts";
import { SEEDS, seedTag } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 3. One message id delivered three times: twice inside SQS's 5-minute deduplication
 * window and once after 6 minutes, when SQS would hand a resend over again. The clock port moves
 * time; the deliveries go straight to the turn (what a redelivering queue does), so the only thing
 * between a resend and a second application is the processed marker.
 */
const MINUTE = 60_000;

const ledger = actor("ledger", {
  state: () => ({ total: 0, applied: [] as string[] }),
  handlers: {
    add(ctx, input: { n: number }) {
      ctx.state.total += input.n;
      ctx.state.applied.push(ctx.messageId);
      // The time makes a re-run tell itself apart from the stored result.
      return { total: ctx.state.total, at: ctx.now };
    },
  },
});

for (const backend of BACKENDS) {
  describe(`[${backend}] redelivery of one message id`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] three deliveries of one id, within 5 minutes and after 6, apply it once and answer later ones with the stored result${seedTag(seed)}`, async () => {
        // Whole seconds: SQS and Scheduler count seconds, and nothing here should round.
        const clock = new ManualClock(Math.ceil(Date.now() / 1000) * 1000);
        const env = await openEnvironment(backend, { label: "s03", seed, clock });
        try {
          const w = await env.worker({ name: `s03-${backend}`, actors: [ledger], clock });
          const actorId = freshId("ledger");
          const messageId = freshId("order");
          const message: ActorMessage = {
            id: messageId,
            actorId,
            actorType: "ledger",
            handler: "add",
            input: { n: 5 },
            kind: "send",
          };

          const first = await w.fabric.invoke({ actorId, handler: "add", input: { n: 5 }, messageId });
          clock.advance(MINUTE);
          const second = await w.fabric.applyBatch([{ ...message, receiveCount: 2 }]);
          clock.advance(3 * MINUTE);
          const third = await w.fabric.applyBatch([{ ...message, receiveCount: 3 }]);
          clock.advance(2 * MINUTE); // 6 minutes after the first: past SQS's deduplication window
          const late = await w.fabric.applyBatch([{ ...message, receiveCount: 1 }]);
          const lateCall = await w.fabric.invoke({ actorId, handler: "add", input: { n: 5 }, messageId });
          // The queue path too: resends of the id are dropped or answered from the marker.
          await w.ports.queue.send([message]);
          clock.advance(MINUTE);
          await w.ports.queue.send([message]);
          await drainQueue(w.fabric, w.ports.queue);

          const record = await w.raw.store.read(actorId);
          const state = record?.state as { total: number; applied: string[] };
          const applications = state.applied.filter((id) => id === messageId).length;
          recordRun("redelivery of one message id", backend, {
            operations: 7,
            lost: applications === 0 ? 1 : 0,
            duplicated: Math.max(0, applications - 1),
          });

          expect(applications).toBe(1);
          expect(record).toMatchObject({ version: 1, state: { total: 5 } });
          expect(first).toMatchObject({ duplicate: false, version: 1 });
          for (const verdicts of [second, third, late]) expect(verdicts.get(messageId)).toBe("done");
          // The stored result, recorded 6 minutes ago, not a re-run's (which would carry the current time).
          expect(lateCall).toMatchObject({ duplicate: true, version: 1, result: first.result });
        } finally {
          await env.close();
        }
      });
  });
}
