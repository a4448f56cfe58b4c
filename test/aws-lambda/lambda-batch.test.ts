import { describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { DeleteMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { SQS_ATTRIBUTES } from "../../runtime/adapters/aws/config.ts";
import type { AwsPorts } from "../../runtime/adapters/aws/create-aws-ports.ts";
import type { Delivery, MessageQueue } from "../../runtime/ports/message-queue.ts";
import {
  failing,
  fifoRecord,
  lambdaContext,
  lambdaFixture,
  message,
  receive,
  recordsFrom,
  sqsEvent,
} from "./lambda-support.ts";

/** The real queue, except that retries are recorded instead of sent (the records' receipts are synthetic). */
function recordingRetries(
  calls: { deliveries: readonly Delivery[]; delayMs: number }[],
): (ports: AwsPorts) => AwsPorts {
  return (ports) => {
    const real = ports.queue;
    const queue: MessageQueue = {
      maxReceives: real.maxReceives,
      send: (m) => real.send(m),
      receive: (o) => real.receive(o),
      ack: (d) => real.ack(d),
      retry: async (deliveries, delayMs) => {
        calls.push({ deliveries, delayMs });
      },
      release: async (deliveries) => {
        calls.push({ deliveries, delayMs: 0 });
      },
      deadLetter: (entries) => real.deadLetter(entries),
      deadLetters: (a) => real.deadLetters(a),
    };
    return { ...ports, queue };
  };
}

const id = (prefix: string) => `ledger-${prefix}-${randomUUID().slice(0, 6)}`;

describe("lambda entry: FIFO actor queue batches", () => {
  test("a batch of 10 over 3 actors with a failure mid-group reports that message and the rest of its group only; order kept, other groups applied", async () => {
    const retries: { deliveries: readonly Delivery[]; delayMs: number }[] = [];
    const f = await lambdaFixture("batch10", { wrap: recordingRetries(retries) });
    const [a, b, c] = [id("a"), id("b"), id("c")];
    const arn = f.settings.queueArn ?? "";
    const rec = (actorId: string, entry: string) => fifoRecord(message(actorId, "append", { entry }), arn);
    // Interleaved as Lambda hands a FIFO batch over: each group in order, groups mixed.
    const records = [
      rec(a, "a1"),
      rec(b, "b1"),
      rec(c, "c1"),
      rec(a, "a2"),
      rec(b, "b2"),
      rec(a, "a3"),
      rec(c, "c2"),
      rec(a, "a4"),
      rec(b, "b3"),
      rec(c, "c3"),
    ];
    failing.add("a3");
    let result: Awaited<ReturnType<typeof f.handler>>;
    try {
      result = await f.handler(sqsEvent(records), lambdaContext());
    } finally {
      failing.delete("a3");
    }
    const byEntry = (entry: string) => records.find((r) => r.body.includes(`"entry":"${entry}"`))?.messageId;
    expect(result).toEqual({
      batchItemFailures: [{ itemIdentifier: byEntry("a3") ?? "" }, { itemIdentifier: byEntry("a4") ?? "" }],
    });

    // One turn (one lease, one load, one commit) per actor: each is at version 1.
    const [sa, sb, sc] = await Promise.all([a, b, c].map((x) => f.ports.store.read(x)));
    expect(sa).toMatchObject({ version: 1, state: { entries: ["a1", "a2"] } });
    expect(sb).toMatchObject({ version: 1, state: { entries: ["b1", "b2", "b3"] } });
    expect(sc).toMatchObject({ version: 1, state: { entries: ["c1", "c2", "c3"] } });
    const turns = f.json().filter((l) => l.type === "turn");
    expect(turns.map((t) => t.actorId).sort()).toEqual([a, b, c].sort());
    expect(turns.find((t) => t.actorId === a)).toMatchObject({ messages: 4, outcome: "committed" });

    // The failed pair comes back after a backoff rather than the queue's visibility timeout.
    expect(retries).toHaveLength(1);
    expect(retries[0]?.delayMs).toBe(1_000);
    expect(retries[0]?.deliveries.map((d) => (d.message.input as { entry: string }).entry)).toEqual([
      "a3",
      "a4",
    ]);
    const counters = f.json().find((l) => l.Source === "actor-queue");
    expect(counters).toMatchObject({ MessagesApplied: 8, MessagesRetried: 2, MessagesDeadLettered: 0 });

    // Redelivered (the refusal is gone), the pair applies in order after a1, a2.
    const again = records.filter((r) => r.messageId === byEntry("a3") || r.messageId === byEntry("a4"));
    for (const r of again) r.attributes.ApproximateReceiveCount = "2";
    expect(await f.handler(sqsEvent(again), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(await f.ports.store.read(a)).toMatchObject({
      version: 2,
      state: { entries: ["a1", "a2", "a3", "a4"] },
    });
  }, 60_000);

  test("the same queued message delivered 3 times is applied once and each delivery is acknowledged", async () => {
    const f = await lambdaFixture("batch-dup");
    const actorId = id("dup");
    const m = message(actorId, "append", { entry: "once" });
    for (let delivery = 1; delivery <= 3; delivery++) {
      const result = await f.handler(
        sqsEvent([fifoRecord(m, f.settings.queueArn ?? "", delivery)]),
        lambdaContext(),
      );
      expect(result).toEqual({ batchItemFailures: [] });
    }
    // A second copy of the id inside one batch (a resend older than SQS's dedup window) is not applied again either.
    const twice = [fifoRecord(m, f.settings.queueArn ?? ""), fifoRecord(m, f.settings.queueArn ?? "")];
    expect(await f.handler(sqsEvent(twice), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(await f.ports.store.read(actorId)).toMatchObject({ version: 1, state: { entries: ["once"] } });
  }, 60_000);

  test("unreadable records go to the DLQ at once with the reason, are not reported failed, and the rest of their group applies", async () => {
    const f = await lambdaFixture("batch-malformed");
    const actorId = id("mal");
    const send = (group: string, body: string) =>
      f.sqs.send(
        new SendMessageCommand({
          QueueUrl: f.settings.queueUrl,
          MessageBody: body,
          MessageGroupId: group,
          MessageDeduplicationId: randomUUID(),
        }),
      );
    await send(actorId, "{not json");
    await f.ports.queue.send([message(actorId, "append", { entry: "after-garbage" })]);
    await send(
      "ledger-other-1",
      '{"id":"x","actorId":"ledger-other-1","handler":"append","kind":"send","input":{"__proto__":{"a":1}}}',
    );
    await send(
      "ledger-other-2",
      JSON.stringify({ id: "y", actorId: "ledger-other-2", handler: "nope", kind: "send" }),
    );
    // fauxqs hands out one message per group per receive: the garbage first, its successor next time.
    const results = [];
    for (let round = 0; round < 2; round++) {
      const received = await receive(f.sqs, f.settings.queueUrl);
      results.push(
        await f.handler(sqsEvent(recordsFrom(received, f.settings.queueArn ?? "")), lambdaContext()),
      );
    }
    expect(results).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(await receive(f.sqs, f.settings.queueUrl)).toEqual([]);
    expect(await f.ports.store.read(actorId)).toMatchObject({
      version: 1,
      state: { entries: ["after-garbage"] },
    });
    const reasons: string[] = [];
    for (let round = 0; round < 10; round++) {
      const letters = await receive(f.sqs, f.settings.queueDlqUrl ?? "");
      if (letters.length === 0) break;
      for (const l of letters) {
        reasons.push(l.MessageAttributes?.[SQS_ATTRIBUTES.deadLetterReason]?.StringValue ?? "");
        await f.sqs.send(
          new DeleteMessageCommand({ QueueUrl: f.settings.queueDlqUrl, ReceiptHandle: l.ReceiptHandle }),
        );
      }
    }
    expect(reasons.map((r) => r.split(":")[0]).sort()).toEqual([
      "INVALID_JSON",
      "UNKNOWN_HANDLER",
      "UNSAFE_JSON_KEY",
    ]);
    expect(f.json().filter((l) => l.message === "dead-lettering an unusable message")).toHaveLength(3);
  }, 60_000);

  test("a message failing its last allowed delivery parks the actor, is dead-lettered with why, and leaves the queue", async () => {
    const f = await lambdaFixture("batch-poison", { settings: { maxReceives: 1 } });
    const actorId = id("poison");
    await f.ports.queue.send([message(actorId, "append", { entry: "poison" })]);
    const received = await receive(f.sqs, f.settings.queueUrl);
    failing.add("poison");
    let result: Awaited<ReturnType<typeof f.handler>>;
    try {
      result = await f.handler(sqsEvent(recordsFrom(received, f.settings.queueArn ?? "")), lambdaContext());
    } finally {
      failing.delete("poison");
    }
    // Settled by the park's commit: not reported failed, so the event source mapping deletes it.
    expect(result).toEqual({ batchItemFailures: [] });
    expect((await f.ports.store.read(actorId))?.parked).toMatchObject({
      handler: "append",
      error: { code: "HANDLER_FAILED" },
    });
    const letters = await f.ports.queue.deadLetters(actorId);
    expect(letters).toHaveLength(1);
    expect(letters[0]?.reason).toBe("HANDLER_FAILED: entry poison refused");
    expect(await receive(f.sqs, f.settings.queueUrl)).toEqual([]);
    expect(f.json().find((l) => l.Source === "actor-queue")).toMatchObject({
      MessagesDeadLettered: 1,
      ActorsParked: 1,
    });
  }, 60_000);

  test("a failed message is visible again after the backoff, not after the queue's 3-minute visibility timeout", async () => {
    const f = await lambdaFixture("batch-backoff", { handler: { retryDelayMs: () => 1_000 } });
    const actorId = id("backoff");
    await f.ports.queue.send([message(actorId, "append", { entry: "flaky" })]);
    const first = await receive(f.sqs, f.settings.queueUrl);
    failing.add("flaky");
    try {
      expect(
        await f.handler(sqsEvent(recordsFrom(first, f.settings.queueArn ?? "")), lambdaContext()),
      ).toEqual({
        batchItemFailures: [{ itemIdentifier: first[0]?.MessageId ?? "" }],
      });
    } finally {
      failing.delete("flaky");
    }
    const second = await receive(f.sqs, f.settings.queueUrl, 5);
    expect(second[0]?.MessageId).toBe(first[0]?.MessageId ?? "");
    expect(second[0]?.Attributes?.ApproximateReceiveCount).toBe("2");
    expect(
      await f.handler(sqsEvent(recordsFrom(second, f.settings.queueArn ?? "")), lambdaContext()),
    ).toEqual({ batchItemFailures: [] });
    expect(await f.ports.store.read(actorId)).toMatchObject({ version: 1, state: { entries: ["flaky"] } });
  }, 60_000);

  test("records from a queue this fabric does not own fail the whole invocation loudly", async () => {
    const f = await lambdaFixture("batch-foreign");
    const record = fifoRecord(
      message(id("x"), "append", { entry: "x" }),
      "arn:aws:sqs:us-east-1:000000000000:someone-else.fifo",
    );
    await expect(f.handler(sqsEvent([record]), lambdaContext())).rejects.toThrow(/neither the actor queue/);
  }, 60_000);
});
