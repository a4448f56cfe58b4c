import { describe, expect, test } from "bun:test";
import { BACKENDS, openEnvironment } from "./backends.ts";
import { countEffects, EFFECT_ACTORS, type EffectIds, isOnce, ONCE, recover } from "./effects.ts";
import { freshId } from "./scenario-kit.ts";
import { SEEDS, seedTag } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 18, issue 11 finding 5: an outbox stranded by a crash between the commit and the relay
 * is relayed without another call to the actor. A sync call sends a message, sets a timer and
 * publishes a signal; its process dies the moment the commit's answer arrives (a Lambda killed at
 * its timeout, an out-of-memory kill), so nothing is relayed and nothing else ever calls that
 * actor. The sweeper (`sweepStranded`, run on a schedule) must relay it: the message arrives, the
 * timer is scheduled and fires, the signal reaches its subscriber, each exactly once.
 * Fails on 51c08f4: only the actor's next turn relays an outbox; there is no sweeper.
 */
const ALARM_MS = 800;

for (const backend of BACKENDS) {
  describe(`[${backend}] stranded outbox swept`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] a crash between commit and relay, then no call: the sweeper delivers the message, the timer and the signal once each${seedTag(seed)}`, async () => {
        const env = await openEnvironment(backend, { label: "s18", ownTables: true, seed });
        try {
          const crashing = await env.worker({
            name: `s18-${backend}-crashing`,
            actors: EFFECT_ACTORS,
            crashAt: (seam) => seam.layer === "port" && seam.call === "commit" && seam.side === "after",
          });
          const ids: EffectIds = {
            emitter: freshId("emitter"),
            sink: freshId("effect-sink"),
            listener: freshId("listener"),
          };
          const input = { tag: "t1", sink: ids.sink, listener: ids.listener, alarmMs: ALARM_MS };
          const lived = await crashing.life.run(
            crashing.fabric.invoke({
              actorId: ids.emitter,
              handler: "emit",
              input,
              messageId: freshId("emit"),
            }),
          );
          const stranded = await crashing.raw.store.read(ids.emitter);

          const sweeper = await env.worker({ name: `s18-${backend}-sweeper`, actors: EFFECT_ACTORS });
          const operations = await recover(env, sweeper, async () =>
            isOnce(await countEffects(sweeper, ids, "t1")),
          );
          const counts = await countEffects(sweeper, ids, "t1");
          const after = await sweeper.raw.store.read(ids.emitter);
          console.log(
            `[${backend}] s18: ${lived.crashed ? lived.reason : "no crash"}; ${stranded?.outbox.length ?? 0} effects stranded; after the sweep ${JSON.stringify(counts)}`,
          );
          recordRun("stranded outbox swept", backend, {
            operations: operations + 1,
            lost: Object.values(counts).filter((n) => n === 0).length,
            duplicated: Object.values(counts).reduce((n, c) => n + Math.max(0, c - 1), 0),
          });

          expect(lived).toEqual({ crashed: true, reason: "crashed after port commit" });
          expect(stranded?.outbox).toHaveLength(3);
          expect(counts).toEqual(ONCE);
          expect(after?.outbox).toEqual([]);
        } finally {
          await env.close();
        }
      });
  });
}
