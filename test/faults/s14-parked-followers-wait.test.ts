import { describe, expect, test } from "bun:test";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import { BACKENDS, openEnvironment } from "./backends.ts";
import { duplicatesIn, sameOrder, settle, tagsOf } from "./delivery.ts";
import { picky, pickyMessage } from "./picky.ts";
import { freshId } from "./scenario-kit.ts";
import { SEEDS, seedTag } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 14, issue 11 finding 1: a parked actor's messages wait. A poison message with three
 * followers queued behind it, and a fourth sent once the actor is parked. The poison message
 * fails every permitted delivery, parks the actor and is the only dead letter; the followers are
 * neither applied while it is parked nor dead-lettered, on both backends (on aws the queue is
 * delivered through Lambda's event source mapping, as deployed). `Fabric.unpark` then says four
 * were waiting, and they run once each, in their order.
 * Fails on 51c08f4: on SQS the followers fail as "parked" and follow the poison message into the
 * DLQ; locally unpark is the store's flag flip, which says nothing about what was waiting.
 */
const MAX_RECEIVES = 5;
const FOLLOWERS = ["f1", "f2", "f3", "f4"];

for (const backend of BACKENDS) {
  describe(`[${backend}] parked actor's followers wait`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] poison + 3 followers (+1 after the park): parked, followers neither applied nor dead-lettered; unpark runs all 4 once each, in order; the DLQ holds the poison only${seedTag(seed)}`, async () => {
        const env = await openEnvironment(backend, { label: "s14", seed, maxReceives: MAX_RECEIVES });
        try {
          const w = await env.worker({ name: `s14-${backend}`, actors: [picky] });
          const actorId = freshId("picky");
          const m = (tag: string) => pickyMessage(actorId, tag);
          const [poison, f1, f2, f3, f4] = ["poison", ...FOLLOWERS].map(m) as [
            ActorMessage,
            ActorMessage,
            ActorMessage,
            ActorMessage,
            ActorMessage,
          ];
          await w.raw.queue.send([poison, f1, f2, f3]);
          let deliveries = (await settle(env, w, [picky])).delivered;
          const parked = (await w.raw.store.read(actorId))?.parked;
          await w.raw.queue.send([f4]);
          deliveries += (await settle(env, w, [picky])).delivered;
          const whileParked = await tagsOf(w, actorId);
          const deadWhileParked = await env.takeDeadLetters();

          const unparked = await w.fabric.unpark(actorId);
          deliveries += (await settle(env, w, [picky])).delivered;
          const log = await tagsOf(w, actorId);
          const dead = [...deadWhileParked, ...(await env.takeDeadLetters())]
            .filter((d) => d.message.actorId === actorId)
            .map((d) => (d.message.input as { tag: string }).tag);
          console.log(
            `[${backend}] s14: parked on ${parked?.messageId === poison.id ? "the poison" : String(parked?.messageId)}; ` +
              `dead-lettered ${dead.join(", ") || "nothing"}; unpark: ${unparked.waiting} waiting; applied after: ${log.join(", ") || "nothing"}`,
          );
          recordRun("parked actor's followers wait", backend, {
            operations: deliveries + 1,
            lost: FOLLOWERS.filter((t) => !log.includes(t)).length,
            duplicated: duplicatesIn(log) + duplicatesIn(dead),
            violations:
              (whileParked.length > 0 ? 1 : 0) +
              dead.filter((t) => t !== "poison").length +
              (sameOrder(log, FOLLOWERS) ? 0 : 1),
          });

          expect(parked).toMatchObject({ messageId: poison.id, handler: "eat" });
          expect(whileParked).toEqual([]);
          expect(dead).toEqual(["poison"]);
          expect(unparked).toMatchObject({ wasParked: true, waiting: FOLLOWERS.length });
          expect(log).toEqual(FOLLOWERS);
          expect((await w.raw.store.read(actorId))?.parked).toBeNull();
        } finally {
          await env.close();
        }
      });
  });
}
