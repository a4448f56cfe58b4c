import { expect, test } from "bun:test";
import {
  GetItemCommand,
  TransactionCanceledException,
  TransactionConflictException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { actor } from "../../runtime/core/actor.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import { openEnvironment } from "./backends.ts";
import { atSeam, seamName } from "./crash.ts";
import { freshId } from "./scenario-kit.ts";
import { BASE_SEED } from "./seed.ts";

/*
 * Checks of the fault layer itself, kept out of the summary: the real-AWS failures it models must
 * look to the SDK exactly as the service's would (so the SDK's own retry decides), a partial
 * SendMessageBatch must really not send what it reports failed, and a crash must stop a worker dead.
 */
const echo = actor("echo", {
  state: () => ({ n: 0 }),
  handlers: {
    bump(ctx) {
      ctx.state.n += 1;
      ctx.send(`${ctx.actorId}-out`, "bump");
      return ctx.state.n;
    },
  },
});

test("DynamoDB wire faults reach the SDK as the service's errors: TransactionConflictException is not retried, throttling is", async () => {
  const env = await openEnvironment("aws", { label: "layer-wire", seed: BASE_SEED });
  try {
    const w = await env.worker({
      name: "layer-wire",
      actors: [echo],
      wire: [
        { error: "TransactionConflictException", rate: 1, limit: 1 },
        { error: "ThrottlingException", rate: 1, operations: ["GetItem"], limit: 1 },
        { error: "TransactionCanceled:ThrottlingError", rate: 1, limit: 1 },
      ],
    });
    const client = w.aws?.clients.dynamodb;
    const table = w.aws?.settings.stateTable;
    if (!client || !table) throw new Error("no aws client");
    const Key = { pk: { S: freshId("echo") }, sk: { S: "layer" } };
    const conflict = await client
      .send(
        new UpdateItemCommand({
          TableName: table,
          Key,
          UpdateExpression: "SET n = :n",
          ExpressionAttributeValues: { ":n": { N: "1" } },
        }),
      )
      .catch((e: unknown) => e);
    const read = await client.send(new GetItemCommand({ TableName: table, Key }));
    const cancelled = await client
      .send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: table, Item: { ...Key, n: { N: "2" } } } },
            {
              ConditionCheck: {
                TableName: table,
                Key: { ...Key, sk: { S: "other" } },
                ConditionExpression: "attribute_not_exists(pk)",
              },
            },
          ],
        }),
      )
      .catch((e: unknown) => e);
    const after = await client.send(new GetItemCommand({ TableName: table, Key, ConsistentRead: true }));

    // The SDK's own exception class, from the error body, and no second attempt.
    expect(conflict).toBeInstanceOf(TransactionConflictException);
    expect((conflict as TransactionConflictException).$metadata).toMatchObject({
      httpStatusCode: 400,
      attempts: 1,
    });
    expect(w.wire?.retried("TransactionConflictException")).toEqual([]);
    // The throttled read was retried by the SDK, then answered by DynamoDB Local.
    expect(w.wire?.retried("ThrottlingException")).toHaveLength(1);
    expect(read.$metadata.attempts).toBe(2);
    // One reason per item, one of them the cause; nothing written.
    expect(cancelled).toBeInstanceOf(TransactionCanceledException);
    const reasons = (cancelled as TransactionCanceledException).CancellationReasons?.map((r) => r.Code);
    expect(reasons).toHaveLength(2);
    expect(reasons?.filter((code) => code === "ThrottlingError")).toHaveLength(1);
    expect(after.Item).toBeUndefined();
  } finally {
    await env.close();
  }
});

test("a partial SendMessageBatch sends only the entries it reports accepted", async () => {
  const env = await openEnvironment("aws", { label: "layer-batch", seed: BASE_SEED });
  try {
    const w = await env.worker({
      name: "layer-batch",
      actors: [echo],
      batchFailures: { rate: 0, positions: [0] },
    });
    const to = freshId("echo");
    const messages: ActorMessage[] = [0, 1, 2, 3].map((i) => ({
      id: freshId(`m${i}`),
      actorId: `${to}-${i}`,
      actorType: "echo",
      handler: "bump",
      kind: "send",
    }));
    const sent = await w.ports.queue.send(messages).catch((e: unknown) => e);
    const settings = w.aws?.settings;
    const sqs = w.aws?.clients.sqs;
    if (!settings || !sqs) throw new Error("no aws settings");
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: settings.queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages"],
      }),
    );
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: settings.queueUrl, MaxNumberOfMessages: 10 }),
    );
    const ids = Messages.map((m) => (JSON.parse(m.Body ?? "{}") as { id: string }).id);

    // Every request failed its first entry: the adapter resent it, then gave up on it.
    expect(w.batches?.partialRequests).toBeGreaterThan(1);
    expect(w.batches?.failed.every((f) => f.entry.MessageDeduplicationId === messages[0]?.id)).toBe(true);
    expect(sent).toBeInstanceOf(Error);
    expect(Number(Attributes?.ApproximateNumberOfMessages)).toBe(3);
    expect(ids.sort()).toEqual(
      messages
        .slice(1)
        .map((m) => m.id)
        .sort(),
    );
  } finally {
    await env.close();
  }
});

for (const backend of ["local", "aws"] as const) {
  test(`[${backend}] a crash at a seam stops the worker dead: nothing after it runs, later calls never settle`, async () => {
    const env = await openEnvironment(backend, { label: "layer-crash", seed: BASE_SEED });
    try {
      const rehearsal = await env.worker({ name: `layer-crash-${backend}-r`, actors: [echo] });
      await rehearsal.fabric.invoke({ actorId: freshId("echo"), handler: "bump" });
      const seams = rehearsal.life.trace.map(seamName);
      const afterCommit = rehearsal.life.trace.find((s) => s.side === "after" && s.call === "commit");
      if (!afterCommit) throw new Error(`no commit among ${seams.join(", ")}`);

      const w = await env.worker({
        name: `layer-crash-${backend}`,
        actors: [echo],
        crashAt: atSeam(afterCommit),
      });
      const actorId = freshId("echo");
      const lived = await w.life.run(w.fabric.invoke({ actorId, handler: "bump" }));
      const later = await w.life.run(w.ports.store.read(actorId));
      const record = await w.raw.store.read(actorId);

      expect(seams).toContain("after port commit");
      // A commit without markers is one PutItem on the state item; with markers, a transaction.
      if (backend === "aws") expect(seams).toContain("after sdk dynamodb.PutItem");
      expect(lived).toEqual({ crashed: true, reason: "crashed after port commit" });
      expect(later.crashed).toBe(true);
      // Committed, and never relayed: the outbox is still there.
      expect(record?.version).toBe(1);
      expect(record?.outbox).toHaveLength(1);
    } finally {
      await env.close();
    }
  });
}
