import { describe, expect, test } from "bun:test";
import type { SqsRecordLike } from "../../runtime/adapters/aws/lambda-events.ts";
import { encodeMessage } from "../../runtime/adapters/aws/sqs-codec.ts";
import { actor } from "../../runtime/core/actor.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import { BACKENDS, openEnvironment } from "./backends.ts";
import { tagsOf } from "./delivery.ts";
import { lambdaOf } from "./lambda-kit.ts";
import { freshId, lambdaContext } from "./scenario-kit.ts";
import { SEEDS, seedTag } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 24, issue 11 finding 11: an SQS record without `attributes`, or with odd ones, is
 * handled on its own. One Lambda batch of three actors' messages: an ordinary record, one with no
 * `attributes` at all and one whose receive count is not a number (records from a test harness, a
 * replay tool or a future event shape). The batch must not fail as a whole: each message is
 * applied once, counted as a first delivery, and nothing is reported failed. aws only: it is the
 * Lambda entry's SQS event.
 * Fails on 51c08f4: reading `attributes.ApproximateReceiveCount` throws a TypeError, and the
 * whole batch fails (a FunctionError: every record comes back, the good ones too).
 */
const inbox = actor("inbox", {
  state: () => ({ log: [] as string[] }),
  handlers: {
    put(ctx, input: { tag: string }) {
      ctx.state.log.push(input.tag);
    },
  },
});

if (BACKENDS.includes("aws")) {
  describe("[aws] SQS records without attributes", () => {
    for (const seed of SEEDS)
      test(`[aws] a batch with a record lacking attributes and one with a non-numeric receive count: each is applied once, none fails the batch${seedTag(seed)}`, async () => {
        const env = await openEnvironment("aws", { label: "s24", seed });
        try {
          const w = await env.worker({ name: "s24-aws", actors: [inbox] });
          const arn = w.aws?.settings.queueArn ?? "";
          const actors = ["plain", "bare", "odd"].map((tag) => ({ tag, actorId: freshId("inbox") }));
          const record = ({ tag, actorId }: { tag: string; actorId: string }): SqsRecordLike => {
            const message: ActorMessage = {
              id: freshId(tag),
              actorId,
              actorType: "inbox",
              handler: "put",
              input: { tag },
              kind: "send",
            };
            const base = {
              messageId: `sqs-${message.id}`,
              receiptHandle: `receipt-${message.id}`,
              body: encodeMessage(message, Date.now()).body,
              eventSource: "aws:sqs",
              eventSourceARN: arn,
            };
            if (tag === "bare") return base as unknown as SqsRecordLike;
            const count = tag === "odd" ? "many" : "1";
            return { ...base, attributes: { ApproximateReceiveCount: count, MessageGroupId: actorId } };
          };
          const handler = lambdaOf(w, [inbox]);
          const outcome = await handler({ Records: actors.map(record) }, lambdaContext()).then(
            (result) => `failures: ${result.batchItemFailures.length}`,
            (error: unknown) => `threw: ${String(error)}`,
          );
          const logs = await Promise.all(actors.map((a) => tagsOf(w, a.actorId, "log")));
          console.log(`[aws] s24: ${outcome}; applied ${logs.map((l) => `[${l.join(",")}]`).join(" ")}`);
          recordRun("SQS records without attributes", "aws", {
            operations: actors.length,
            lost: logs.filter((l) => l.length === 0).length,
            duplicated: logs.reduce((n, l) => n + Math.max(0, l.length - 1), 0),
            violations: outcome === "failures: 0" ? 0 : 1,
          });

          expect(outcome).toBe("failures: 0");
          expect(logs).toEqual([["plain"], ["bare"], ["odd"]]);
        } finally {
          await env.close();
        }
      });
  });
}
