import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { RelayFailedError } from "../../core/errors.ts";
import { relayError } from "./errors.ts";
import { batches } from "./sqs-codec.ts";

export interface OutgoingMessage {
  body: string;
  attributes?: Record<string, MessageAttributeValue> | undefined;
  bytes: number;
  /** FIFO only. */
  groupId?: string | undefined;
  deduplicationId?: string | undefined;
  /** Standard queues only. */
  delaySeconds?: number | undefined;
}

const ATTEMPTS = 3;

/**
 * Sends in order with SendMessageBatch (10 entries, 1 MiB per request). SQS may accept some entries
 * of a request and fail others, and FIFO order within a group is the order of accepted sends, so
 * no request ever carries two entries of one message group: wave k holds the k-th message of every
 * group, and wave k+1 goes only once all of wave k was accepted. A failed entry is sent again
 * (its deduplication id makes that safe) before anything after it in its group; a failure that is
 * the sender's fault, or one that persists, throws RelayFailedError, and the caller's outbox stays
 * for the next relay. Standard-queue entries (no group) are each their own group.
 */
export async function sendInOrder(
  client: SQSClient,
  queueUrl: string,
  messages: readonly OutgoingMessage[],
): Promise<void> {
  for (const wave of waves(messages)) {
    for (const batch of batches(wave)) await sendBatch(client, queueUrl, batch);
  }
}

/** Splits messages into waves with at most one message per group each, keeping each group's order. */
export function waves(messages: readonly OutgoingMessage[]): OutgoingMessage[][] {
  const out: OutgoingMessage[][] = [];
  const depth = new Map<string, number>();
  messages.forEach((message, i) => {
    const group = message.groupId ?? `#${i}`;
    const k = depth.get(group) ?? 0;
    depth.set(group, k + 1);
    const wave = out[k] ?? [];
    wave.push(message);
    out[k] = wave;
  });
  return out;
}

async function sendBatch(
  client: SQSClient,
  queueUrl: string,
  batch: readonly OutgoingMessage[],
): Promise<void> {
  let pending: SendMessageBatchRequestEntry[] = batch.map((m, i) => ({
    Id: `m${i}`,
    MessageBody: m.body,
    MessageAttributes: m.attributes,
    MessageGroupId: m.groupId,
    MessageDeduplicationId: m.deduplicationId,
    DelaySeconds: m.delaySeconds,
  }));
  for (let attempt = 1; pending.length > 0; attempt++) {
    let failed: {
      Id?: string | undefined;
      SenderFault?: boolean | undefined;
      Code?: string | undefined;
      Message?: string | undefined;
    }[];
    try {
      const result = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      failed = result.Failed ?? [];
    } catch (error) {
      throw relayError(error, `sending ${pending.length} message(s) to ${queueName(queueUrl)}`);
    }
    if (failed.length === 0) return;
    const permanent = failed.find((f) => f.SenderFault);
    if (permanent || attempt >= ATTEMPTS) {
      const first = permanent ?? failed[0];
      throw new RelayFailedError(
        `${failed.length} message(s) to ${queueName(queueUrl)} were refused: ${first?.Code}: ${first?.Message}`,
        { details: { queueUrl, failed: failed.map((f) => ({ code: f.Code, message: f.Message })) } },
      );
    }
    const retry = new Set(failed.map((f) => f.Id));
    pending = pending.filter((entry) => retry.has(entry.Id));
    await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
  }
}

export function queueName(queueUrl: string): string {
  return queueUrl.slice(queueUrl.lastIndexOf("/") + 1);
}
