import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { StoreUnavailableError } from "../../core/errors.ts";
import { isUnusable } from "../../core/queued-message.ts";
import { padSequence } from "../../core/waiting.ts";
import { type Clock, systemClock } from "../../ports/clock.ts";
import type {
  DeadLetter,
  DeadLetterEntry,
  Delivery,
  MessageQueue,
  ReceiveOptions,
} from "../../ports/message-queue.ts";
import type { ActorMessage } from "../../ports/messages.ts";
import { DEFAULTS } from "./config.ts";
import { storeError } from "./errors.ts";
import { decodeQueuedMessage, deduplicationId, encodeMessage } from "./sqs-codec.ts";
import { DeadLetterBox } from "./sqs-dead-letters.ts";
import { queueName, sendInOrder } from "./sqs-send.ts";

export interface SqsMessageQueueOptions {
  client: SQSClient;
  /** The FIFO actor queue. */
  queueUrl: string;
  /** Its FIFO DLQ; found through the queue's redrive policy when absent. */
  dlqUrl?: string | undefined;
  maxReceives?: number;
  clock?: Clock;
  /** Long-poll wait of the DLQ reads in `deadLetters` (real SQS may miss messages on a 0 s short poll). */
  deadLetterWaitSeconds?: number;
}

const SYSTEM_ATTRIBUTES = [
  "ApproximateReceiveCount",
  "MessageGroupId",
  "SentTimestamp",
  "SequenceNumber",
] as const;
/** Receipt handles that no longer name an in-flight delivery: the message was redelivered or is gone. */
const STALE_RECEIPT = /ReceiptHandleIsInvalid|MessageNotInflight|InvalidParameterValue|ReceiptHandle/i;

/**
 * MessageQueue on one SQS FIFO queue: a message group per actor (MessageGroupId = actor id),
 * deduplicated by message id. In production Lambda's event source receives; `receive` serves tests,
 * benchmarks and tools.
 */
export class SqsMessageQueue implements MessageQueue {
  readonly maxReceives: number;
  private readonly client: SQSClient;
  private readonly queueUrl: string;
  private readonly clock: Clock;
  private readonly dlq: DeadLetterBox;

  constructor(options: SqsMessageQueueOptions) {
    this.client = options.client;
    this.queueUrl = options.queueUrl;
    this.clock = options.clock ?? systemClock;
    this.maxReceives = options.maxReceives ?? DEFAULTS.maxReceives;
    this.dlq = new DeadLetterBox({
      client: this.client,
      queueUrl: this.queueUrl,
      dlqUrl: options.dlqUrl,
      maxReceives: this.maxReceives,
      waitSeconds: options.deadLetterWaitSeconds ?? 1,
    });
  }

  async send(messages: readonly ActorMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const now = this.clock.now();
    // Every message is encoded (and size-checked) before the first request: all or nothing is refused.
    const outgoing = messages.map((message) => {
      const encoded = encodeMessage(message, now);
      return { ...encoded, groupId: message.actorId, deduplicationId: deduplicationId(message.id) };
    });
    await sendInOrder(this.client, this.queueUrl, outgoing);
  }

  async receive(options: ReceiveOptions): Promise<Delivery[]> {
    let result: { Messages?: Message[] | undefined };
    try {
      result = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: Math.min(10, Math.max(1, Math.floor(options.maxMessages))),
          VisibilityTimeout: toSeconds(options.visibilityTimeoutMs),
          WaitTimeSeconds: Math.min(20, toSeconds(options.waitMs ?? 0)),
          MessageSystemAttributeNames: [...SYSTEM_ATTRIBUTES],
          MessageAttributeNames: ["All"],
        }),
      );
    } catch (error) {
      throw storeError(error, `receiving from ${queueName(this.queueUrl)}`);
    }
    const deliveries: Delivery[] = [];
    const unusable: { raw: Message; reason: string }[] = [];
    for (const raw of result.Messages ?? []) {
      const message = decodeQueuedMessage(raw.Body);
      if (isUnusable(message) || !raw.ReceiptHandle) {
        unusable.push({ raw, reason: isUnusable(message) ? message.unusable : "no receipt handle" });
        continue;
      }
      const receiveCount = Number(raw.Attributes?.ApproximateReceiveCount ?? 1);
      const sequence = sequenceOf(raw.Attributes?.SequenceNumber);
      deliveries.push({
        message: { ...message, receiveCount, sequence },
        receipt: raw.ReceiptHandle,
        receiveCount,
      });
    }
    // A body no turn can read would block its actor until it ran out of receives; it goes to the DLQ now.
    for (const { raw, reason } of unusable) {
      await this.dlq.moveRaw([raw], `unusable message: ${reason}`, this.clock.now());
    }
    return deliveries;
  }

  async ack(deliveries: readonly Delivery[]): Promise<void> {
    for (let i = 0; i < deliveries.length; i += 10) {
      const chunk = deliveries.slice(i, i + 10);
      let failed: { Code?: string | undefined; Message?: string | undefined }[];
      try {
        const result = await this.client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: chunk.map((d, j) => ({ Id: `d${j}`, ReceiptHandle: d.receipt })),
          }),
        );
        failed = result.Failed ?? [];
      } catch (error) {
        throw storeError(error, `acknowledging ${chunk.length} message(s)`);
      }
      // A stale receipt means another delivery owns the message now; its marker makes that one a no-op.
      const real = failed.filter((f) => !STALE_RECEIPT.test(`${f.Code} ${f.Message}`));
      if (real.length > 0) {
        throw new StoreUnavailableError(
          `could not acknowledge ${real.length} message(s): ${real[0]?.Code}: ${real[0]?.Message}`,
          {
            details: { failed: real },
          },
        );
      }
    }
  }

  /** SQS counts every receive and cannot take one back: a skipped message is simply retried now. */
  async release(deliveries: readonly Delivery[]): Promise<void> {
    await this.retry(deliveries, 0);
  }

  async retry(deliveries: readonly Delivery[], delayMs: number): Promise<void> {
    for (let i = 0; i < deliveries.length; i += 10) {
      const chunk = deliveries.slice(i, i + 10);
      try {
        await this.client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: chunk.map((d, j) => ({
              Id: `r${j}`,
              ReceiptHandle: d.receipt,
              VisibilityTimeout: toSeconds(delayMs),
            })),
          }),
        );
      } catch (error) {
        throw storeError(error, `delaying ${chunk.length} message(s) for a retry`);
      }
    }
  }

  async deadLetter(entries: readonly DeadLetterEntry[]): Promise<void> {
    await this.dlq.send(entries, this.clock.now());
  }

  async deadLetters(actorId?: string): Promise<DeadLetter[]> {
    return this.dlq.list(actorId);
  }
}

/** SQS counts whole seconds; rounding up keeps "not before" promises (a retry is never early). */
function toSeconds(ms: number): number {
  return Math.min(43_200, Math.max(0, Math.ceil(ms / 1000)));
}

/** SQS's FIFO SequenceNumber, padded to sort as delivery order; undefined on a queue that gives none. */
export function sequenceOf(value: string | undefined): string | undefined {
  return value && /^\d{1,40}$/.test(value) ? padSequence(value) : undefined;
}
