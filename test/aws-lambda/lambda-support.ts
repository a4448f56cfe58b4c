import { randomUUID } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Context, EventBridgeEvent, SQSEvent, SQSRecord } from "aws-lambda";
import { DEFAULTS, SIGNAL_SOURCE } from "../../runtime/adapters/aws/config.ts";
import { type AwsPorts, createAwsPorts } from "../../runtime/adapters/aws/create-aws-ports.ts";
import type { SignalDetail } from "../../runtime/adapters/aws/eventbridge-signal-bus.ts";
import { createLambdaHandler, type LambdaHandlerOptions } from "../../runtime/adapters/aws/lambda.ts";
import type { AwsFabricSettings } from "../../runtime/adapters/aws/settings.ts";
import { encodeMessage } from "../../runtime/adapters/aws/sqs-codec.ts";
import { actor } from "../../runtime/core/actor.ts";
import type { JsonValue } from "../../runtime/core/json.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import type { ScheduledTimer, TimerScheduler } from "../../runtime/ports/timer-scheduler.ts";
import { emulatorClients, freshQueues, testSettings } from "../support/aws-fabric.ts";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from "../support/emulator-credentials.ts";

/** Entries whose names are in here throw; tests clear it to let a retry succeed. */
export const failing = new Set<string>();

export const ledger = actor("ledger", {
  state: () => ({ entries: [] as string[], blob: "" }),
  handlers: {
    append(ctx, input: { entry: string }) {
      if (failing.has(input.entry)) throw new Error(`entry ${input.entry} refused`);
      ctx.state.entries.push(input.entry);
      return { entries: ctx.state.entries.length };
    },
    store(ctx, input: { blob: string }) {
      ctx.state.blob = input.blob;
      return { bytes: input.blob.length };
    },
    get: (ctx) => ({ entries: ctx.state.entries, version: ctx.version }),
    async slowAppend(ctx, input: { entry: string; ms: number }) {
      await new Promise((resolve) => setTimeout(resolve, input.ms));
      ctx.state.entries.push(input.entry);
      return { entries: ctx.state.entries.length };
    },
  },
});

export const shipping = actor("shipping", {
  state: () => ({ shipped: [] as string[] }),
  handlers: {
    ship(ctx, input: { orderId: string; region: string }) {
      ctx.state.shipped.push(input.orderId);
      return { shipped: ctx.state.shipped.length };
    },
  },
  signals: {
    "order.paid": { to: (detail) => `shipping-${(detail as { region: string }).region}`, handler: "ship" },
  },
});

export const reminder = actor("reminder", {
  state: () => ({ fired: 0, set: 0 }),
  handlers: {
    remind(ctx, input: { inMs: number }) {
      ctx.state.set += 1;
      ctx.setAlarm(input.inMs, { name: "nudge" });
      return { set: ctx.state.set };
    },
  },
  alarm(ctx) {
    ctx.state.fired += 1;
  },
});

export const ACTORS = [ledger, shipping, reminder];

/**
 * EventBridge Scheduler has no emulator: timers 15 minutes or more away go to this in-process fake
 * at the TimerScheduler port (recorded, never fired); nearer ones take the real path, the adapter's
 * delay queue on fauxqs.
 */
export class FarTimersFake implements TimerScheduler {
  readonly far: ScheduledTimer[] = [];
  constructor(
    private readonly real: TimerScheduler,
    private readonly now: () => number,
  ) {}
  async schedule(timers: readonly ScheduledTimer[]): Promise<void> {
    const limit = this.now() + DEFAULTS.delayQueueMaxSeconds * 1000;
    this.far.push(...timers.filter((t) => t.at >= limit));
    await this.real.schedule(timers.filter((t) => t.at < limit));
  }
  async cancel(timers: readonly { actorId: string; name: string; timerId: string }[]): Promise<void> {
    for (const t of timers) {
      const i = this.far.findIndex(
        (f) => f.actorId === t.actorId && f.name === t.name && f.timerId === t.timerId,
      );
      if (i >= 0) this.far.splice(i, 1);
    }
  }
}

export interface LambdaFixture {
  handler: ReturnType<typeof createLambdaHandler>;
  ports: AwsPorts;
  settings: AwsFabricSettings;
  sqs: SQSClient;
  /** Every line the handler wrote (logs and metrics). */
  lines: string[];
  json(): Record<string, unknown>[];
  delayQueueArn: string;
}

/** A handler on DynamoDB Local (shared tables) and fresh fauxqs queues, writing into `lines`. */
export async function lambdaFixture(
  name: string,
  options: {
    settings?: Partial<AwsFabricSettings>;
    handler?: LambdaHandlerOptions;
    wrap?: (ports: AwsPorts) => AwsPorts;
    /** Clients of the handler's own (the emulators' shared clients otherwise). */
    clients?: { dynamodb: DynamoDBClient; sqs: SQSClient };
  } = {},
): Promise<LambdaFixture> {
  const { dynamodb, sqs } = options.clients ?? (await emulatorClients());
  const queues = await freshQueues(name, { maxReceives: options.settings?.maxReceives ?? 5 });
  const settings = await testSettings(queues, options.settings);
  const scheduler = new SchedulerClient({
    region: EMULATOR_REGION,
    credentials: { ...EMULATOR_CREDENTIALS },
  });
  const base = createAwsPorts({ settings, clients: { dynamodb, sqs, scheduler }, deadLetterWaitSeconds: 0 });
  const withFake: AwsPorts = { ...base, timers: new FarTimersFake(base.timers, () => base.clock.now()) };
  const ports = options.wrap ? options.wrap(withFake) : withFake;
  const lines: string[] = [];
  const handler = createLambdaHandler(ACTORS, {
    ...options.handler,
    ports,
    write: (line) => lines.push(line),
  });
  const delayQueueArn = await queueArn(sqs, queues.delayQueueUrl ?? "");
  return {
    handler,
    ports,
    settings,
    sqs,
    lines,
    json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    delayQueueArn,
  };
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const result = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
  );
  return result.Attributes?.QueueArn ?? "";
}

/** A Lambda context whose function times out `timeoutMs` after it was made. */
export function lambdaContext(timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: "durable-test",
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${EMULATOR_REGION}:000000000000:function:durable-test`,
    memoryLimitInMB: "512",
    awsRequestId: randomUUID(),
    logGroupName: "/aws/lambda/durable-test",
    logStreamName: "2025/01/01/[$LATEST]test",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A FIFO record as Lambda's event source mapping delivers it, built with the adapter's own codec. */
export function fifoRecord(message: ActorMessage, queueArn: string, receiveCount = 1): SQSRecord {
  const now = Date.now();
  const encoded = encodeMessage(message, now);
  const messageAttributes: SQSRecord["messageAttributes"] = {};
  for (const [key, value] of Object.entries(encoded.attributes)) {
    messageAttributes[key] = {
      dataType: value.DataType ?? "String",
      stringValue: value.StringValue,
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return {
    messageId: randomUUID(),
    receiptHandle: `synthetic-${randomUUID()}`,
    body: encoded.body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(now),
      SenderId: "AIDAEXAMPLE",
      ApproximateFirstReceiveTimestamp: String(now),
      SequenceNumber: String(now * 1000),
      MessageGroupId: message.actorId,
      MessageDeduplicationId: message.id,
    },
    messageAttributes,
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: EMULATOR_REGION,
  };
}

/** Messages really received from a queue, in the shape Lambda hands them over (real receipts). */
export function recordsFrom(messages: readonly Message[], queueArn: string): SQSRecord[] {
  return messages.map((m) => ({
    messageId: m.MessageId ?? "",
    receiptHandle: m.ReceiptHandle ?? "",
    body: m.Body ?? "",
    attributes: {
      ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? "1",
      SentTimestamp: m.Attributes?.SentTimestamp ?? "0",
      SenderId: m.Attributes?.SenderId ?? "",
      ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? "0",
      MessageGroupId: m.Attributes?.MessageGroupId,
      MessageDeduplicationId: m.Attributes?.MessageDeduplicationId,
      SequenceNumber: m.Attributes?.SequenceNumber,
    },
    messageAttributes: {},
    md5OfBody: m.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: EMULATOR_REGION,
  }));
}

export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** Receives what a queue hands out now (fauxqs gives one message per FIFO group per receive). */
export async function receive(sqs: SQSClient, queueUrl: string, waitSeconds = 0): Promise<Message[]> {
  const result = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ["All"],
      MessageAttributeNames: ["All"],
    }),
  );
  return result.Messages ?? [];
}

export function message(
  actorId: string,
  handler: string,
  input: JsonValue,
  id: string = randomUUID(),
): ActorMessage {
  return { id, actorId, handler, input, kind: "send", sentAt: Date.now() };
}

/** An event as the fabric's signal rule delivers it to the function. */
export function signalEvent(
  type: string,
  detail: JsonValue,
  signalId = randomUUID(),
): EventBridgeEvent<string, SignalDetail> {
  return {
    id: randomUUID(),
    version: "0",
    account: "000000000000",
    time: new Date().toISOString(),
    region: EMULATOR_REGION,
    resources: [],
    source: SIGNAL_SOURCE,
    "detail-type": type,
    detail: { id: signalId, source: "orders-1", at: Date.now(), detail },
  };
}

/**
 * One poll of the event source mapping: receive what the queue hands out, invoke the handler with
 * it, and delete the records the handler did not report failed (what Lambda does). Returns how many
 * records were delivered.
 */
export async function pollOnce(f: LambdaFixture, queueUrl = f.settings.queueUrl): Promise<number> {
  const received = await receive(f.sqs, queueUrl);
  if (received.length === 0) return 0;
  const arn = queueUrl === f.settings.queueUrl ? (f.settings.queueArn ?? "") : f.delayQueueArn;
  const result = (await f.handler(sqsEvent(recordsFrom(received, arn)), lambdaContext())) as {
    batchItemFailures: { itemIdentifier: string }[];
  };
  const failed = new Set(result.batchItemFailures.map((x) => x.itemIdentifier));
  const done = received.filter((m) => !failed.has(m.MessageId ?? ""));
  if (done.length > 0) {
    await f.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: done.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle ?? "" })),
      }),
    );
  }
  return received.length;
}
