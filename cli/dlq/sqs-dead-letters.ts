import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { guard } from "../deploy/stage-requests.ts";

/** Receives a listing makes at most per queue (10 letters each). */
const MAX_ROUNDS = 1000;

export interface SqsDeadLetterAdminOptions {
  /**
   * How long the last receive waits before a queue counts as read to the end: a short poll of a
   * standard queue asks only some of SQS's servers, so an empty answer alone proves nothing.
   */
  settleSeconds?: number;
}

/**
 * Reads a stage's dead-letter queues the only way SQS allows: receiving. Every message received is
 * hidden from other readers for the hold time, until it is deleted (after its redrive committed, or
 * a purge) or released (made visible again at once).
 */
export class SqsDeadLetterAdmin {
  readonly #sqs: SQSClient;
  readonly #where: string;
  readonly #settleSeconds: number;

  constructor(sqs: SQSClient, where: string, options: SqsDeadLetterAdminOptions = {}) {
    this.#sqs = sqs;
    this.#where = where;
    this.#settleSeconds = options.settleSeconds ?? 1;
  }

  /**
   * Every message of a queue, each hidden for `holdSeconds`. A FIFO queue hands out only the head of
   * a message group while it is in flight: the runtime gives each dead letter a group of its own,
   * but a letter SQS's own redrive moved keeps its actor's group, so of those only the oldest per
   * actor shows until it is removed.
   */
  async receiveAll(queueUrl: string, holdSeconds: number): Promise<Message[]> {
    const seen = new Map<string, Message>();
    try {
      let settling = false;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const result = await guard(this.#where, "reading a dead-letter queue", () =>
          this.#sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: queueUrl,
              MaxNumberOfMessages: 10,
              VisibilityTimeout: holdSeconds,
              WaitTimeSeconds: settling ? this.#settleSeconds : 0,
              MessageSystemAttributeNames: ["All"],
              MessageAttributeNames: ["All"],
            }),
          ),
        );
        const fresh = (result.Messages ?? []).filter(
          (m) => m.MessageId && m.ReceiptHandle && !seen.has(m.MessageId),
        );
        for (const m of fresh) seen.set(m.MessageId ?? "", m);
        if (fresh.length > 0) settling = false;
        else if (settling || this.#settleSeconds === 0) break;
        else settling = true;
      }
    } catch (error) {
      await this.release(queueUrl, receipts([...seen.values()])).catch(() => undefined);
      throw error;
    }
    return [...seen.values()];
  }

  /** Deletes received messages; returns the receipts SQS refused (their hold ran out: they stay). */
  async remove(queueUrl: string, handles: readonly string[]): Promise<string[]> {
    const refused: string[] = [];
    for (let i = 0; i < handles.length; i += 10) {
      const chunk = handles.slice(i, i + 10);
      const result = await guard(this.#where, "removing dead letters", () =>
        this.#sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((ReceiptHandle, j) => ({ Id: `d${j}`, ReceiptHandle })),
          }),
        ),
      );
      for (const failed of result.Failed ?? []) {
        const handle = chunk[Number((failed.Id ?? "").slice(1))];
        if (handle !== undefined) refused.push(handle);
      }
    }
    return refused;
  }

  /** Makes received messages visible again at once, for the next reader. */
  async release(queueUrl: string, handles: readonly string[]): Promise<void> {
    for (let i = 0; i < handles.length; i += 10) {
      const Entries = handles
        .slice(i, i + 10)
        .map((ReceiptHandle, j) => ({ Id: `r${j}`, ReceiptHandle, VisibilityTimeout: 0 }));
      await guard(this.#where, "releasing dead letters", () =>
        this.#sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries })),
      );
    }
  }
}

export function receipts(messages: readonly Message[]): string[] {
  return messages.flatMap((m) => (m.ReceiptHandle ? [m.ReceiptHandle] : []));
}
