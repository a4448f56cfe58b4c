import { describe, expect, test } from "bun:test";
import { actor } from "../../runtime/core/actor.ts";
import { sweepStranded } from "../../runtime/core/sweeper.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import { BACKENDS, openEnvironment } from "./backends.ts";
import { duplicatesIn } from "./delivery.ts";
import type { FaultRule } from "./fault-injector.ts";
import { freshId, settleQueue } from "./scenario-kit.ts";
import { SEEDS, seedTag, sized } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 6. A sender forwards each message it applies to a sink through its outbox, while the
 * consumer crashes at every seam of a turn: after the commit (nothing relayed, nothing
 * acknowledged), after the relay's send (the outbox not cleared), after the outbox was cleared,
 * and before the queue acknowledgement. A crash is an injected failure at the port on both
 * backends: the rest of the turn and of the batch never runs, and the delivery comes back. Max
 * receives is raised so that crashes alone never dead-letter a message.
 */
// A sweep (--seeds) sends 5 messages: every seam still crashes once for certain.
const SCALE = sized({ local: 20, aws: 10 }, { local: 5, aws: 5 });
const CRASH_RATE = 0.2;

const crashes: FaultRule[] = [
  // Each seam crashes once for certain, then at random.
  { ops: ["commit"], ambiguousAfter: 1, limit: 1 },
  { ops: ["send"], ambiguousAfter: 1, limit: 1 },
  { ops: ["clearOutbox"], ambiguousAfter: 1, limit: 1 },
  { ops: ["ack"], errorBefore: 1, limit: 1 },
  { ops: ["commit"], ambiguousAfter: CRASH_RATE },
  { ops: ["send"], ambiguousAfter: CRASH_RATE },
  { ops: ["clearOutbox"], ambiguousAfter: CRASH_RATE },
  { ops: ["ack"], errorBefore: CRASH_RATE },
];

const sender = actor("sender", {
  state: () => ({ sent: [] as string[] }),
  handlers: {
    forward(ctx, input: { tag: string; to: string }) {
      ctx.state.sent.push(input.tag);
      ctx.send(input.to, "record", { tag: input.tag });
    },
  },
});

const sink = actor("sink", {
  state: () => ({ tags: [] as string[], ids: [] as string[] }),
  handlers: {
    record(ctx, input: { tag: string }) {
      ctx.state.tags.push(input.tag);
      ctx.state.ids.push(ctx.messageId);
    },
  },
});

for (const backend of BACKENDS) {
  describe(`[${backend}] crash after commit, before acknowledgement`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] crashes after commit, relay, outbox clear and before ack: each message applied once, each effect received once downstream${seedTag(seed)}`, async () => {
        const env = await openEnvironment(backend, { label: "s06", ownTables: true, seed, maxReceives: 50 });
        try {
          const w = await env.worker({ name: `s06-${backend}`, actors: [sender, sink], portFaults: crashes });
          const [from, to] = [freshId("sender"), freshId("sink")];
          const tags = Array.from({ length: SCALE[backend] }, (_, i) => `t${i}`);
          const messages: ActorMessage[] = tags.map((tag) => ({
            id: freshId(tag),
            actorId: from,
            actorType: "sender",
            handler: "forward",
            input: { tag, to },
            kind: "send",
          }));
          await w.raw.queue.send(messages);
          const deliveries = await settleQueue(w, {
            // SQS counts whole seconds, the local queue milliseconds; a sweep lets a crashed
            // delivery come straight back (it only shortens the wait for the redelivery).
            visibilityTimeoutMs: backend === "local" ? 300 : sized(1_000, 0),
            timeoutMs: 90_000,
            batchSize: 1,
            depth: () => env.queueDepth(),
          });
          w.crashes.enabled = false;
          // A clear that failed after its relay succeeded no longer fails the turn: the outbox it
          // leaves is the sweeper's, as it is on a stage, so the sweeper runs before the checks.
          await sweepStranded(w.fabric, { olderThanMs: 0 });
          await settleQueue(w, { visibilityTimeoutMs: 300, depth: () => env.queueDepth() });

          const sent = ((await w.raw.store.read(from))?.state as { sent: string[] } | undefined)?.sent ?? [];
          const downstream = (await w.raw.store.read(to))?.state as
            | { tags: string[]; ids: string[] }
            | undefined;
          const received = downstream?.tags ?? [];
          const dead = await env.takeDeadLetters();
          const crashed = Object.values(w.crashes.counts).reduce((a, b) => a + b, 0);
          console.log(
            `[${backend}] s06: ${deliveries} deliveries, ${crashed} crashes (${["commit", "send", "clearOutbox", "ack"].map((op) => `${op}×${w.crashes.events.filter((e) => e.op === op).length}`).join(" ")}), ${received.length} received downstream`,
          );
          recordRun("crash after commit, before acknowledgement", backend, {
            operations: deliveries,
            lost: tags.filter((t) => !received.includes(t)).length,
            duplicated: duplicatesIn(sent) + duplicatesIn(received) + duplicatesIn(downstream?.ids ?? []),
          });

          expect(new Set(w.crashes.events.map((e) => e.op))).toEqual(
            new Set(["commit", "send", "clearOutbox", "ack"]),
          );
          expect(dead).toEqual([]);
          expect([...sent].sort()).toEqual([...tags].sort());
          // Each effect arrived downstream once: distinct message ids, each tag once.
          expect([...received].sort()).toEqual([...tags].sort());
          expect(new Set(downstream?.ids).size).toBe(tags.length);
          // Per-target order survives the redeliveries.
          expect(received).toEqual(sent);
          expect((await w.raw.store.read(from))?.outbox).toEqual([]);
        } finally {
          await env.close();
        }
      });
  });
}
