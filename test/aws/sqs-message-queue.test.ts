import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { deduplicationId } from "../../runtime/adapters/aws/sqs-codec.ts";
import { SqsMessageQueue } from "../../runtime/adapters/aws/sqs-message-queue.ts";
import { PayloadTooLargeError, RelayFailedError } from "../../runtime/core/errors.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import { rejectsWith, uniqueId } from "../contract/contract-support.ts";
import { drainQueue, emulatorClients, freshQueues } from "../support/aws-fabric.ts";
import { emulatorClientConfig } from "../support/emulator-credentials.ts";
import { fauxqs } from "../support/fauxqs.ts";
import { logRequests } from "../support/request-log.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});
// The first case pays for starting the emulators; that must not count against its own timeout.
beforeAll(() => emulatorClients(), 60_000);

async function queueWithLog(options: { withDlqUrl?: boolean } = {}) {
  const queues = await freshQueues("sqsq", { delayQueue: false });
  cleanups.push(queues.destroy);
  const client = (await fauxqs()).client();
  const queue = new SqsMessageQueue({
    client,
    queueUrl: queues.queueUrl,
    dlqUrl: options.withDlqUrl === false ? undefined : queues.queueDlqUrl,
    deadLetterWaitSeconds: 0,
  });
  return { queue, queues, client, log: logRequests(client) };
}

const message = (actorId: string, n: number, id = `${actorId}-m${n}`): ActorMessage => ({
  id,
  actorId,
  handler: "step",
  kind: "send",
  input: { n },
});

describe("SqsMessageQueue on fauxqs", () => {
  test("sends 5 messages to one actor one per request, and 25 messages to 25 actors in batches of 10", async () => {
    const { queue, log } = await queueWithLog();
    const actorId = uniqueId("order");
    const sent = Array.from({ length: 5 }, (_, n) => message(actorId, n));
    await queue.send(sent);
    // A group never has two entries in one request, so a partial failure cannot reorder it.
    expect(log.commands()).toEqual(Array(5).fill("SendMessageBatchCommand"));
    expect((await drainQueue(queue)).map((m) => m.id)).toEqual(sent.map((m) => m.id));
    const many = Array.from({ length: 25 }, (_, n) => message(uniqueId(`fan-${n}`), 1));
    await queue.send(many);
    expect(log.commands().filter((c) => c === "SendMessageBatchCommand")).toHaveLength(5 + 3);
    expect((await drainQueue(queue)).map((m) => m.id).sort()).toEqual(many.map((m) => m.id).sort());
  });

  test("deduplicates ids SQS cannot take as deduplication ids by their hash", async () => {
    const { queue } = await queueWithLog();
    const actorId = uniqueId("dedup");
    const long = message(actorId, 1, `long-${"x".repeat(200)}`);
    const spaced = message(actorId, 2, "an id with spaces and ünïcode");
    expect(deduplicationId(long.id)).toMatch(/^[0-9a-f]{64}$/);
    expect(deduplicationId(spaced.id)).toMatch(/^[0-9a-f]{64}$/);
    await queue.send([long, spaced]);
    await queue.send([long, spaced]);
    expect((await drainQueue(queue)).map((m) => m.id)).toEqual([long.id, spaced.id]);
  });

  test("refuses a message over 1 MiB before sending anything of the batch", async () => {
    const { queue, log } = await queueWithLog();
    const actorId = uniqueId("big");
    const big = { ...message(actorId, 2), input: { blob: "x".repeat(1024 * 1024) } };
    const error = await rejectsWith(queue.send([message(actorId, 1), big]), PayloadTooLargeError);
    expect(error.details.limit).toBe(1024 * 1024);
    expect(log.requests).toHaveLength(0);
  });

  test("moves a body that is not an actor message to the DLQ at once, with the reason", async () => {
    const { queue, queues, client } = await queueWithLog();
    const actorId = uniqueId("garbage");
    await client.send(
      new SendMessageCommand({
        QueueUrl: queues.queueUrl,
        MessageBody: "not json",
        MessageGroupId: actorId,
        MessageDeduplicationId: "g1",
      }),
    );
    await queue.send([message(actorId, 1)]);
    expect(await queue.receive({ maxMessages: 10, visibilityTimeoutMs: 30_000 })).toEqual([]);
    expect((await drainQueue(queue)).map((m) => m.id)).toEqual([message(actorId, 1).id]);
    const [dead] = await queue.deadLetters(actorId);
    expect(dead?.reason).toBe("unusable message: the body is not JSON");
    expect(dead?.message.input).toBe("not json");
  });

  test("finds the DLQ through the queue's redrive policy when its URL is not configured", async () => {
    const { queue } = await queueWithLog({ withDlqUrl: false });
    const actorId = uniqueId("redrive");
    await queue.deadLetter([
      { id: "letter-1", message: message(actorId, 1), reason: "HANDLER_FAILED: boom", receiveCount: 5 },
    ]);
    const [dead] = await queue.deadLetters(actorId);
    expect(dead).toMatchObject({
      receiveCount: 5,
      reason: "HANDLER_FAILED: boom",
      message: { id: message(actorId, 1).id },
    });
  });
});

// SQS partial batch failures cannot be provoked on fauxqs, so these use a mock.
describe("SqsMessageQueue batch failures (mocked: the emulator never fails single entries)", () => {
  const mocked = () => {
    const client = new SQSClient(emulatorClientConfig("http://127.0.0.1:9"));
    const queue = new SqsMessageQueue({
      client,
      queueUrl: "http://127.0.0.1:9/000000000000/q.fifo",
      dlqUrl: "x",
    });
    return { mock: mockClient(client), queue };
  };

  test("sends again only the entries SQS failed on its side, then succeeds", async () => {
    const { mock, queue } = mocked();
    mock
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Successful: [], Failed: [{ Id: "m1", SenderFault: false, Code: "InternalError" }] })
      .resolves({ Successful: [], Failed: [] });
    await queue.send([message("a", 1), message("b", 1)]);
    const calls = mock
      .commandCalls(SendMessageBatchCommand)
      .map((c) => c.args[0].input.Entries?.map((e) => e.MessageGroupId));
    expect(calls).toEqual([["a", "b"], ["b"]]);
  });

  test("a failed entry is accepted before anything after it in its group is sent: order holds", async () => {
    const { mock, queue } = mocked();
    mock
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [{ Id: "m1", MessageId: "b-1", MD5OfMessageBody: "-" }],
        Failed: [{ Id: "m0", SenderFault: false, Code: "InternalError" }],
      })
      .resolves({ Successful: [], Failed: [] });
    await queue.send([message("a", 1), message("b", 1), message("a", 2)]);
    const calls = mock
      .commandCalls(SendMessageBatchCommand)
      .map((c) => c.args[0].input.Entries?.map((e) => JSON.parse(e.MessageBody ?? "{}").id));
    expect(calls).toEqual([["a-m1", "b-m1"], ["a-m1"], ["a-m2"]]);
  });

  test("throws RelayFailedError on a sender fault instead of resending", async () => {
    const { mock, queue } = mocked();
    mock
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [], Failed: [{ Id: "m0", SenderFault: true, Code: "InvalidParameterValue" }] });
    await rejectsWith(queue.send([message("a", 1)]), RelayFailedError);
    expect(mock.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  });

  test("throws RelayFailedError when SQS keeps failing an entry", async () => {
    const { mock, queue } = mocked();
    mock
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [], Failed: [{ Id: "m0", SenderFault: false, Code: "InternalError" }] });
    await rejectsWith(queue.send([message("a", 1)]), RelayFailedError);
    expect(mock.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
  });
});
