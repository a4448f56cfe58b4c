import { describe, expect, test } from "bun:test";
import type { DurableInvokeEvent, DurableInvokeResult } from "../../runtime/adapters/aws/invoke-event.ts";
import { actor } from "../../runtime/core/actor.ts";
import { BACKENDS, openEnvironment } from "./backends.ts";
import { duplicatesIn, sameOrder, settle, tagsOf } from "./delivery.ts";
import { invokeLambda, lambdaOf } from "./lambda-kit.ts";
import { freshId } from "./scenario-kit.ts";
import { SEEDS, seedTag, sized } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 20, issue 11 finding 7: a partial SendMessageBatch failure keeps each FIFO group's
 * order. One turn sends PER messages to each of three actors, interleaved, so every request of
 * the relay holds several messages of each group. Real SQS may accept some entries of a request
 * and fail others; here the first entry of every request fails (while the others, later entries of
 * its group among them, are accepted) and any entry fails now and then, 8 entries in all; a failed
 * entry is really not sent. A relay that gives up leaves its outbox, and the client retries the
 * call with its id. Every actor must receive its messages once each, in the order they were sent. aws only:
 * the local queue's send is one transaction, all or nothing.
 * Fails on 51c08f4: only the failed entries are resent, after later entries of their group were
 * accepted, so the first message of the first group arrives last.
 */
const TARGETS = 3;
const PER = sized(7, 4);

const fanout = actor("fanout", {
  state: () => ({ spreads: 0 }),
  handlers: {
    spread(ctx, input: { targets: string[] }) {
      for (let k = 1; k <= PER; k++) for (const to of input.targets) ctx.send(to, "add", { tag: String(k) });
      ctx.state.spreads += 1;
    },
  },
});

const ordered = actor("ordered", {
  state: () => ({ log: [] as string[] }),
  handlers: {
    add(ctx, input: { tag: string }) {
      ctx.state.log.push(input.tag);
    },
  },
});

if (BACKENDS.includes("aws")) {
  describe("[aws] partial SendMessageBatch failures", () => {
    for (const seed of SEEDS)
      test(`[aws] ${TARGETS} actors × ${PER} messages sent in one relay, with entries failed inside accepted batches: each actor gets its messages once, in order${seedTag(seed)}`, async () => {
        const env = await openEnvironment("aws", { label: "s20", seed });
        try {
          const sender = await env.worker({
            name: "s20-sender",
            actors: [fanout, ordered],
            batchFailures: { rate: 0.15, positions: [0], limit: 8 },
          });
          const targets = Array.from({ length: TARGETS }, () => freshId("ordered"));
          const handler = lambdaOf(sender, [fanout, ordered]);
          const event: DurableInvokeEvent = {
            type: "durable.invoke",
            actorId: freshId("fanout"),
            handler: "spread",
            input: { targets },
            messageId: freshId("spread"),
          };
          // A relay that keeps failing leaves the outbox for the next turn: the client retries with the id.
          const answers: string[] = [];
          for (let attempt = 1; attempt <= 5; attempt++) {
            const lived = await invokeLambda(
              sender,
              (e: DurableInvokeEvent, c) => handler(e, c) as Promise<DurableInvokeResult>,
              event,
            );
            if (lived.crashed) throw new Error(lived.reason);
            answers.push(lived.value.ok ? "ok" : lived.value.error.code);
            if (lived.value.ok) break;
          }
          if (sender.batches) sender.batches.enabled = false;
          const receiver = await env.worker({ name: "s20-receiver", actors: [fanout, ordered] });
          const delivered = await settle(env, receiver, [fanout, ordered]);
          const logs = await Promise.all(targets.map((t) => tagsOf(receiver, t)));
          const expected = Array.from({ length: PER }, (_, k) => String(k + 1));
          console.log(
            `[aws] s20: ${sender.batches?.failed.length} entries failed in ${sender.batches?.partialRequests} requests; answers ${answers.join(", ")}; received ${logs.map((l) => `[${l.join(",")}]`).join(" ")}`,
          );
          recordRun("partial SendMessageBatch keeps order", "aws", {
            operations: answers.length + delivered.delivered,
            lost: logs.reduce((n, l) => n + expected.filter((t) => !l.includes(t)).length, 0),
            duplicated: logs.reduce((n, l) => n + duplicatesIn(l), 0),
            violations: logs.filter(
              (l) =>
                !sameOrder(
                  [...new Set(l)],
                  expected.filter((t) => l.includes(t)),
                ),
            ).length,
          });

          expect(sender.batches?.partialRequests).toBeGreaterThan(0);
          expect(answers.at(-1)).toBe("ok");
          for (const log of logs) expect(log).toEqual(expected);
        } finally {
          await env.close();
        }
      });
  });
}
