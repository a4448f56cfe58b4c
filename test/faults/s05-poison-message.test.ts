import { describe, expect, test } from "bun:test";
import { actor } from "../../runtime/core/actor.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import { BACKENDS, openEnvironment } from "./backends.ts";
import { freshId, settleQueue } from "./scenario-kit.ts";
import { SEEDS, seedTag } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 5. A message that always fails, followed by two good ones, on a queue with max receives
 * 5. The poison message must reach the DLQ after its fifth failure with the actor parked and the
 * failure on record, and nothing behind it may be applied around it. Followers delivered in the
 * same batch are skipped: the local queue takes those receives back, so they wait (the actor is
 * parked) and run in order on unpark; SQS counts every receive, so there they follow the poison
 * message into the DLQ, in order. Whatever is not in the DLQ is applied, in order, once the actor is
 * unparked.
 */
const MAX_RECEIVES = 5;

const picky = actor("picky", {
  state: () => ({ log: [] as string[] }),
  handlers: {
    eat(ctx, input: { tag: string }) {
      if (input.tag === "poison") throw new Error("this message always fails (injected)");
      ctx.state.log.push(input.tag);
    },
  },
});

for (const backend of BACKENDS) {
  describe(`[${backend}] poison message`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] a message failing ${MAX_RECEIVES} times reaches the DLQ, parks and reports the actor, and nothing behind it is applied while it fails or the actor is parked${seedTag(seed)}`, async () => {
        const env = await openEnvironment(backend, { label: "s05", seed, maxReceives: MAX_RECEIVES });
        try {
          const w = await env.worker({ name: `s05-${backend}`, actors: [picky] });
          const actorId = freshId("picky");
          const m = (tag: string): ActorMessage => ({
            id: freshId(tag),
            actorId,
            actorType: "picky",
            handler: "eat",
            input: { tag },
            kind: "send",
          });
          const [poison, second, third, fourth] = [m("poison"), m("second"), m("third"), m("fourth")];
          await w.raw.queue.send([poison, second, third]);
          let deliveries = await settleQueue(w, { visibilityTimeoutMs: 1_000, quietMs: 1_500 });
          // A message sent once the actor is parked: held back (local) or refused as parked (SQS).
          await w.raw.queue.send([fourth]);
          deliveries += await settleQueue(w, { visibilityTimeoutMs: 1_000, quietMs: 1_200 });

          const record = await w.raw.store.read(actorId);
          const whileParked = (record?.state as { log: string[] } | null)?.log ?? [];
          const dead = (await env.takeDeadLetters()).filter((d) => d.message.actorId === actorId);
          const deadTags = dead.map((d) => (d.message.input as { tag: string }).tag);
          await w.raw.store.unpark(actorId);
          deliveries += await settleQueue(w, { quietMs: 1_200 });
          const log = ((await w.raw.store.read(actorId))?.state as { log: string[] } | undefined)?.log ?? [];
          const outcomes = [...deadTags, ...log];
          console.log(
            `[${backend}] s05: dead-lettered ${deadTags.join(", ")}; applied after unpark: ${log.join(", ") || "nothing"}`,
          );
          recordRun("poison message", backend, {
            operations: deliveries,
            lost: ["poison", "second", "third", "fourth"].filter((t) => !outcomes.includes(t)).length,
            duplicated: outcomes.length - new Set(outcomes).size,
            violations:
              whileParked.length > 0 ||
              !isInOrder(deadTags, ["poison", "second", "third", "fourth"]) ||
              !isInOrder(log, ["second", "third", "fourth"])
                ? 1
                : 0,
          });

          expect(deadTags[0]).toBe("poison");
          expect(dead[0]?.receiveCount).toBe(MAX_RECEIVES);
          expect(record?.parked).toMatchObject({
            messageId: poison.id,
            handler: "eat",
            error: { code: "HANDLER_FAILED" },
          });
          // Nothing applied around the poison message while it was failing or parked.
          expect(whileParked).toEqual([]);
          // Each good message is either dead-lettered behind the poison or applied after the unpark, in order, once.
          expect([...outcomes].sort()).toEqual(["fourth", "poison", "second", "third"]);
          expect(isInOrder(deadTags, ["poison", "second", "third", "fourth"])).toBe(true);
          expect(isInOrder(log, ["second", "third", "fourth"])).toBe(true);
          if (backend === "local") {
            // The local queue takes back the receive of a message skipped behind the failing one, so
            // only the poison message is dead-lettered and everything else runs, in order, on unpark.
            expect(deadTags).toEqual(["poison"]);
            expect(log).toEqual(["second", "third", "fourth"]);
          }
        } finally {
          await env.close();
        }
      });
  });
}

/** True when `list` keeps the relative order of `order`. */
function isInOrder(list: readonly string[], order: readonly string[]): boolean {
  const positions = list.map((tag) => order.indexOf(tag));
  return positions.every((p, i) => p >= 0 && (i === 0 || p > (positions[i - 1] ?? -1)));
}
