import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import {
  createLambdaHandler,
  type DurableLambdaHandler,
  type LambdaHandlerOptions,
} from "../../runtime/adapters/aws/lambda.ts";
import type {
  LambdaContextLike,
  SqsBatchResult,
  SqsEventLike,
  SqsRecordLike,
} from "../../runtime/adapters/aws/lambda-events.ts";
import { decodeMessage } from "../../runtime/adapters/aws/sqs-codec.ts";
import type { AnyActorDefinition } from "../../runtime/core/actor.ts";
import { fauxqs } from "../support/fauxqs.ts";
import type { Lived } from "./crash.ts";
import { sleep } from "./fault-injector.ts";
import type { Received } from "./scenario-kit.ts";
import type { Worker } from "./worker.ts";

/** The Lambda entry on a worker's ports (faults and seams in place); log lines go to `lines` when given. */
export function lambdaOf(
  w: Worker,
  actors: readonly AnyActorDefinition[],
  options: Omit<LambdaHandlerOptions, "ports"> & { lines?: string[] } = {},
): DurableLambdaHandler {
  if (!w.aws) throw new Error(`${w.name} is not an aws worker`);
  const { lines, ...rest } = options;
  return createLambdaHandler(actors, {
    write: (line) => lines?.push(line),
    retryDelayMs: () => 0,
    ...rest,
    ports: w.aws,
  });
}

/**
 * One invocation as the Lambda service runs it: the context's remaining time counts down from
 * `timeoutMs`, and when it reaches 0 the process is killed (the worker dies mid-await, as a timed
 * out Lambda does). Resolves with the result, or `crashed` when the process died first.
 */
export async function invokeLambda<E, R>(
  w: Worker,
  handler: (event: E, context: { getRemainingTimeInMillis(): number; awsRequestId: string }) => Promise<R>,
  event: E,
  timeoutMs = 60_000,
): Promise<Lived<R>> {
  const ends = Date.now() + timeoutMs;
  const timer = setTimeout(() => w.life.kill(`Lambda timed out after ${timeoutMs} ms`), timeoutMs);
  try {
    return await w.life.run(
      handler(event, {
        getRemainingTimeInMillis: () => Math.max(0, ends - Date.now()),
        awsRequestId: crypto.randomUUID(),
      }),
    );
  } finally {
    clearTimeout(timer);
  }
}

/** A record as the event source mapping builds it from a received SQS message. */
export function recordOf(message: Message, queueArn: string): SqsRecordLike {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: { ...attributes },
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
  };
}

export interface MappingOptions {
  /** How long a received batch stays invisible (SQS counts whole seconds). */
  visibilityTimeoutMs?: number;
  batchSize?: number;
  /** The invocation's timeout: the process is killed when it runs out. */
  timeoutMs?: number;
  /** Sees every record received (the actor message id its body names, and its receive count). */
  onReceived?: (deliveries: readonly Received[]) => void;
}

export interface PollResult {
  received: number;
  /** The function's process died: nothing was deleted, the records come back after the visibility timeout. */
  crashed: boolean;
  /** The function threw (a FunctionError): nothing was deleted. */
  threw: unknown;
  failures: number;
}

/**
 * One poll of Lambda's SQS event source mapping, on fauxqs: receive a batch (with the system
 * attributes Lambda puts on records), invoke the function with it, delete the records it did not
 * report in batchItemFailures. A function that throws or dies deletes nothing.
 */
export async function pollLambda(
  w: Worker,
  handler: DurableLambdaHandler,
  options: MappingOptions = {},
): Promise<PollResult> {
  if (!w.aws) throw new Error(`${w.name} is not an aws worker`);
  const { queueUrl, queueArn } = w.aws.settings;
  const sqs = (await fauxqs()).client();
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: options.batchSize ?? 10,
      VisibilityTimeout: Math.ceil((options.visibilityTimeoutMs ?? 1_000) / 1000),
      MessageSystemAttributeNames: ["All"],
      MessageAttributeNames: ["All"],
    }),
  );
  const none: PollResult = { received: 0, crashed: false, threw: undefined, failures: 0 };
  if (Messages.length === 0) return none;
  const Records = Messages.map((m) => recordOf(m, queueArn ?? queueUrl));
  options.onReceived?.(
    Records.map((r) => ({
      id: String((decodeMessage(r.body) ?? { id: r.messageId }).id),
      receiveCount: Number(r.attributes?.ApproximateReceiveCount ?? 1),
    })),
  );
  let lived: Lived<SqsBatchResult>;
  const batch = (event: SqsEventLike, context: LambdaContextLike) => handler(event, context);
  try {
    lived = await invokeLambda(w, batch, { Records }, options.timeoutMs);
  } catch (error) {
    return { ...none, received: Messages.length, threw: error };
  }
  if (lived.crashed) return { ...none, received: Messages.length, crashed: true };
  const failed = new Set(lived.value.batchItemFailures.map((f) => f.itemIdentifier));
  const done = Messages.filter((m) => !failed.has(m.MessageId ?? ""));
  if (done.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: done.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle ?? "" })),
      }),
    );
  }
  return { ...none, received: Messages.length, failures: failed.size };
}

export interface SettleLambdaOptions extends MappingOptions {
  /** Messages left in the queue (Environment.queueDepth): 0 ends the settling at once. */
  depth: () => Promise<number>;
  /** Give up after this long. */
  timeoutMs?: number;
  /** Nothing received for this long means the queue is quiet (a parked group may stay behind). */
  quietMs?: number;
  /** The invocation timeout of each poll. */
  invocationTimeoutMs?: number;
  /** Called after every poll that received something. */
  onPoll?: (result: PollResult) => void | Promise<void>;
}

/**
 * Polls until the queue is empty or quiet, or the worker dies (then the caller brings another).
 * Returns the records received, crashed deliveries included, and whether the worker died.
 */
export async function settleLambda(
  w: Worker,
  handler: DurableLambdaHandler,
  options: SettleLambdaOptions,
): Promise<{ received: number; crashed: boolean; threw: number }> {
  const visibility = options.visibilityTimeoutMs ?? 1_000;
  const deadline = performance.now() + (options.timeoutMs ?? 30_000);
  const quietMs = options.quietMs ?? visibility + 500;
  let received = 0;
  let threw = 0;
  let quietSince = performance.now();
  while (performance.now() < deadline && !w.life.dead) {
    const result = await pollLambda(w, handler, {
      visibilityTimeoutMs: visibility,
      batchSize: options.batchSize,
      timeoutMs: options.invocationTimeoutMs,
      onReceived: options.onReceived,
    });
    received += result.received;
    if (result.threw !== undefined) threw++;
    if (result.received > 0) {
      await options.onPoll?.(result);
      quietSince = performance.now();
      continue;
    }
    if (performance.now() - quietSince >= quietMs) break;
    if ((await options.depth()) === 0) break;
    await sleep(50);
  }
  return { received, crashed: w.life.dead, threw };
}
