/**
 * Real-shaped Lambda inputs for driving handlers in process: a context whose remaining time
 * counts down, and SQS events as the FIFO event source mapping delivers them (the fabric's own
 * message encoding in the body, the group id and receive count in the attributes).
 */
import { createHash, randomUUID } from "node:crypto";
import type { Context, SQSEvent, SQSMessageAttributes, SQSRecord } from "aws-lambda";
import { encodeMessage } from "../runtime/adapters/aws/sqs-codec.ts";
import type { ActorMessage } from "../runtime/ports/messages.ts";

export const BENCH_REGION = "us-east-1";
export const BENCH_ACCOUNT = "000000000000";

/** A Lambda context for one invocation of a function with `timeoutMs`. */
export function fakeContext(functionName: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${BENCH_REGION}:${BENCH_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: "512",
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2025/01/01/[$LATEST]${requestId.replaceAll("-", "")}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

let sequence = 10_000_000_000_000_000_000n;

/** One SQS record per message, in order, as a FIFO queue's event source mapping sends them. */
export function sqsEvent(messages: readonly ActorMessage[], queueArn: string, receiveCount = 1): SQSEvent {
  const now = Date.now();
  return {
    Records: messages.map((message): SQSRecord => {
      const encoded = encodeMessage(message, now);
      const messageAttributes: SQSMessageAttributes = {};
      for (const [name, value] of Object.entries(encoded.attributes)) {
        messageAttributes[name] = {
          dataType: value.DataType ?? "String",
          stringValue: value.StringValue,
          stringListValues: [],
          binaryListValues: [],
        };
      }
      sequence += 1n;
      return {
        messageId: randomUUID(),
        receiptHandle: `AQEB${createHash("sha256").update(message.id).digest("base64")}`,
        body: encoded.body,
        attributes: {
          ApproximateReceiveCount: String(receiveCount),
          SentTimestamp: String(now),
          SequenceNumber: sequence.toString(),
          MessageGroupId: message.actorId,
          SenderId: "AIDAIENQZJOLO23YVJ4VO",
          MessageDeduplicationId: message.id,
          ApproximateFirstReceiveTimestamp: String(now),
        },
        messageAttributes,
        md5OfBody: createHash("md5").update(encoded.body).digest("hex"),
        eventSource: "aws:sqs",
        eventSourceARN: queueArn,
        awsRegion: BENCH_REGION,
      };
    }),
  };
}

/** `n` increments of one actor, as `ctx.send` or an async invoke would queue them. */
export function incrementMessages(actorId: string, n: number, actorType = "counter"): ActorMessage[] {
  const sentAt = Date.now();
  return Array.from({ length: n }, () => ({
    id: randomUUID(),
    actorId,
    actorType,
    handler: "increment",
    input: { by: 1 },
    kind: "send" as const,
    sentAt,
  }));
}
