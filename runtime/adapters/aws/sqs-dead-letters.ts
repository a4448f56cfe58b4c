import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { DeadLetter, DeadLetterEntry } from "../../ports/message-queue.ts";
import { SQS_ATTRIBUTES } from "./config.ts";
import { storeError } from "./errors.ts";
import { decodeMessage, deduplicationId, encodeMessage, sha256 } from "./sqs-codec.ts";
import { type OutgoingMessage, queueName, sendInOrder } from "./sqs-send.ts";

export interface DeadLetterBoxOptions {
  client: SQSClient;
  queueUrl: string;
  dlqUrl?: string | undefined;
  maxReceives: number;
  waitSeconds: number;
}

/** How long listed dead letters stay hidden while a listing pages through them. */
const LISTING_VISIBILITY_SECONDS = 30;
const MAX_LISTING_ROUNDS = 100;

/**
 * The actor queue's FIFO DLQ: moves poison messages in (with why, when and after how many
 * deliveries) and lists them. Listing receives and then releases each message; a FIFO queue hands
 * out only the head of each actor's group while it is in flight, so a listing shows each actor's
 * oldest dead letters (one per actor on fauxqs, up to ten on SQS).
 */
export class DeadLetterBox {
  private url: Promise<string> | undefined;

  constructor(private readonly options: DeadLetterBoxOptions) {
    if (options.dlqUrl) this.url = Promise.resolve(options.dlqUrl);
  }

  /** Puts messages in the DLQ that are no longer in the actor queue (a park, relayed from an outbox). */
  async send(entries: readonly DeadLetterEntry[], now: number): Promise<void> {
    const outgoing: OutgoingMessage[] = entries.map(({ id, message, reason, receiveCount }) => {
      const encoded = encodeMessage(message, now, {
        [SQS_ATTRIBUTES.deadLetterReason]: reason.slice(0, 1000),
        [SQS_ATTRIBUTES.deadLetterReceiveCount]: String(receiveCount),
        [SQS_ATTRIBUTES.deadLetteredAt]: String(now),
      });
      return {
        ...encoded,
        groupId: deadLetterGroup(message.actorId, id),
        deduplicationId: deduplicationId(id),
      };
    });
    await sendInOrder(this.options.client, await this.resolveUrl(), outgoing);
  }

  /** For bodies that are not actor messages at all: kept byte for byte, in the group they came from. */
  async moveRaw(messages: readonly Message[], reason: string, now: number): Promise<void> {
    const outgoing: OutgoingMessage[] = messages.map((m) => ({
      body: m.Body || "(empty)",
      bytes: Buffer.byteLength(m.Body ?? ""),
      attributes: {
        [SQS_ATTRIBUTES.deadLetterReason]: { DataType: "String", StringValue: reason },
        [SQS_ATTRIBUTES.deadLetterReceiveCount]: {
          DataType: "String",
          StringValue: m.Attributes?.ApproximateReceiveCount ?? "1",
        },
        [SQS_ATTRIBUTES.deadLetteredAt]: { DataType: "String", StringValue: String(now) },
      },
      groupId: deadLetterGroup(m.Attributes?.MessageGroupId ?? "malformed", m.MessageId ?? m.Body ?? ""),
      deduplicationId: sha256(m.MessageId ?? m.Body ?? ""),
    }));
    await sendInOrder(this.options.client, await this.resolveUrl(), outgoing);
    await this.remove(messages.flatMap((m) => (m.ReceiptHandle ? [m.ReceiptHandle] : [])));
  }

  async list(actorId?: string): Promise<DeadLetter[]> {
    const { client } = this.options;
    const url = await this.resolveUrl();
    const seen = new Map<string, { letter: DeadLetter; receipt: string; actorId: string }>();
    try {
      for (let round = 0; round < MAX_LISTING_ROUNDS; round++) {
        const result = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: 10,
            VisibilityTimeout: LISTING_VISIBILITY_SECONDS,
            WaitTimeSeconds: round === 0 ? 0 : this.options.waitSeconds,
            MessageSystemAttributeNames: ["All"],
            MessageAttributeNames: ["All"],
          }),
        );
        const messages = result.Messages ?? [];
        if (messages.length === 0) break;
        for (const m of messages) {
          if (!m.MessageId || !m.ReceiptHandle || seen.has(m.MessageId)) continue;
          seen.set(m.MessageId, {
            letter: readDeadLetter(m, this.options.maxReceives),
            receipt: m.ReceiptHandle,
            actorId: actorOfGroup(m.Attributes?.MessageGroupId),
          });
        }
      }
    } finally {
      // Released at once, so the messages stay listable and redrivable by anyone else.
      await this.release([...seen.values()].map((s) => s.receipt)).catch(() => undefined);
    }
    return [...seen.values()]
      .filter((s) => actorId === undefined || s.actorId === actorId || s.letter.message.actorId === actorId)
      .map((s) => s.letter)
      .sort((a, b) => a.at - b.at);
  }

  private async remove(receipts: readonly string[]): Promise<void> {
    for (let i = 0; i < receipts.length; i += 10) {
      const Entries = receipts.slice(i, i + 10).map((ReceiptHandle, j) => ({ Id: `x${j}`, ReceiptHandle }));
      try {
        await this.options.client.send(
          new DeleteMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries }),
        );
      } catch (error) {
        throw storeError(error, "removing dead-lettered messages from the actor queue");
      }
    }
  }

  private async release(receipts: readonly string[]): Promise<void> {
    const url = await this.resolveUrl();
    for (let i = 0; i < receipts.length; i += 10) {
      const Entries = receipts
        .slice(i, i + 10)
        .map((ReceiptHandle, j) => ({ Id: `v${j}`, ReceiptHandle, VisibilityTimeout: 0 }));
      await this.options.client.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries }));
    }
  }

  /** The DLQ named by the actor queue's redrive policy, looked up once. */
  private resolveUrl(): Promise<string> {
    this.url ??= (async () => {
      const { client, queueUrl } = this.options;
      const attributes = await client.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["RedrivePolicy"] }),
      );
      const policy = attributes.Attributes?.RedrivePolicy;
      const arn = policy
        ? (JSON.parse(policy) as { deadLetterTargetArn?: string }).deadLetterTargetArn
        : undefined;
      if (!arn) throw new Error(`queue ${queueName(queueUrl)} has no dead-letter queue (no redrive policy)`);
      const [, , , , account, name] = arn.split(":");
      const found = await client.send(
        new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }),
      );
      if (!found.QueueUrl) throw new Error(`dead-letter queue ${arn} not found`);
      return found.QueueUrl;
    })();
    this.url.catch(() => {
      this.url = undefined;
    });
    return this.url;
  }
}

/**
 * A dead letter's own message group. A FIFO queue hands out only the head of each group while it is
 * in flight, so with one group per actor a listing could never see past an actor's first dead
 * letter; one group per letter makes every letter a head (order among an actor's dead letters is
 * kept by their dead-lettered-at time instead, and redrive puts them back in that order).
 */
export function deadLetterGroup(actorId: string, messageId: string): string {
  return `${actorId.slice(0, 100)}#${sha256(messageId).slice(0, 16)}`;
}

/**
 * A message received from the actor DLQ as a dead letter: why, when and after how many deliveries
 * it was dead-lettered (the attributes the adapter sets; a message SQS's own redrive moved has none).
 */
export function readDeadLetter(m: Message, maxReceives: number): DeadLetter {
  const attribute = (name: string): string | undefined => m.MessageAttributes?.[name]?.StringValue;
  const message = decodeMessage(m.Body) ?? {
    id: m.MessageId ?? "",
    actorId: actorOfGroup(m.Attributes?.MessageGroupId),
    handler: "",
    kind: "send" as const,
    input: m.Body ?? null,
  };
  const movedCount = attribute(SQS_ATTRIBUTES.deadLetterReceiveCount);
  // Without our attributes the redrive policy moved it: that happens after maxReceives deliveries.
  const receiveCount = movedCount === undefined ? maxReceives : Number(movedCount);
  return {
    message: { ...message, receiveCount },
    receiveCount,
    reason:
      attribute(SQS_ATTRIBUTES.deadLetterReason) ??
      `not acknowledged after ${receiveCount} deliveries (maxReceives ${maxReceives})`,
    at: Number(attribute(SQS_ATTRIBUTES.deadLetteredAt) ?? m.Attributes?.SentTimestamp ?? 0),
  };
}

/** The actor a dead letter's group names (the group of a message SQS's own redrive moved is the actor id). */
export function actorOfGroup(group: string | undefined): string {
  return (group ?? "").replace(/#[0-9a-f]{16}$/, "");
}
