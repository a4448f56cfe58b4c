import { describe, expect, test } from "bun:test";
import { BACKENDS, openEnvironment } from "./backends.ts";
import { picky, pickyMessage } from "./picky.ts";
import { freshId, settleQueue } from "./scenario-kit.ts";
import { SEEDS, seedTag } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 5. A message that always fails, followed by two good ones, on a queue with max receives
 * 5, delivered through the queue port (receive, apply, acknowledge or retry: the dev server's queue
 * worker, and on aws SqsMessageQueue on fauxqs). The poison message must reach the DLQ after its
 * fifth failure with the actor parked and the failure on record, and nothing behind it may be
 * applied around it. On both backends the followers, and a fourth message sent once the actor is
 * parked, wait: none is dead-lettered for the poison message (issue 11 finding 1), and all three run
 * once each, in order, when the actor is unparked. The DLQ holds the poison message alone.
 */
const MAX_RECEIVES = 5;

for (const backend of BACKENDS) {
  describe(`[${backend}] poison message`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] a message failing ${MAX_RECEIVES} times alone reaches the DLQ and parks the actor; the messages behind it wait, then run once each, in order, on unpark${seedTag(seed)}`, async () => {
        const env = await openEnvironment(backend, { label: "s05", seed, maxReceives: MAX_RECEIVES });
        try {
          const w = await env.worker({ name: `s05-${backend}`, actors: [picky] });
          const actorId = freshId("picky");
          const m = (tag: string) => pickyMessage(actorId, tag);
          const [poison, second, third, fourth] = [m("poison"), m("second"), m("third"), m("fourth")];
          await w.raw.queue.send([poison, second, third]);
          const depth = () => env.queueDepth();
          let deliveries = await settleQueue(w, { visibilityTimeoutMs: 1_000, quietMs: 1_500, depth });
          // A message sent once the actor is parked: it waits too.
          await w.raw.queue.send([fourth]);
          deliveries += await settleQueue(w, { visibilityTimeoutMs: 1_000, quietMs: 1_200, depth });

          const record = await w.raw.store.read(actorId);
          const whileParked = (record?.state as { log: string[] } | null)?.log ?? [];
          const dead = (await env.takeDeadLetters()).filter((d) => d.message.actorId === actorId);
          const deadTags = dead.map((d) => (d.message.input as { tag: string }).tag);
          await w.fabric.unpark(actorId);
          deliveries += await settleQueue(w, { quietMs: 1_200, depth });
          deadTags.push(
            ...(await env.takeDeadLetters())
              .filter((d) => d.message.actorId === actorId)
              .map((d) => (d.message.input as { tag: string }).tag),
          );
          const log = ((await w.raw.store.read(actorId))?.state as { log: string[] } | undefined)?.log ?? [];
          const outcomes = [...deadTags, ...log];
          console.log(
            `[${backend}] s05: dead-lettered ${deadTags.join(", ")}; applied after unpark: ${log.join(", ") || "nothing"}`,
          );
          recordRun("poison message", backend, {
            operations: deliveries,
            lost: ["second", "third", "fourth"].filter((t) => !log.includes(t)).length,
            duplicated: outcomes.length - new Set(outcomes).size,
            violations:
              whileParked.length > 0 ||
              deadTags.join() !== "poison" ||
              log.join() !== ["second", "third", "fourth"].join()
                ? 1
                : 0,
          });

          expect(deadTags).toEqual(["poison"]);
          expect(dead[0]?.receiveCount).toBe(MAX_RECEIVES);
          expect(record?.parked).toMatchObject({
            messageId: poison.id,
            handler: "eat",
            error: { code: "HANDLER_FAILED" },
          });
          // Nothing applied around the poison message while it was failing or parked.
          expect(whileParked).toEqual([]);
          // The followers waited and ran once each, in order, after the unpark.
          expect(log).toEqual(["second", "third", "fourth"]);
        } finally {
          await env.close();
        }
      });
  });
}
