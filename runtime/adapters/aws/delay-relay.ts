import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Clock } from "../../ports/clock.ts";
import { DEFAULTS } from "./config.ts";
import { storeError } from "./errors.ts";
import { type OutgoingMessage, sendInOrder } from "./sqs-send.ts";
import { delayedTimerBody, parseDelayedTimer, relayDeduplicationId, timerBody } from "./timer-envelope.ts";

export interface DelayRelayOptions {
  sqs: SQSClient;
  clock: Clock;
  /** The FIFO actor queue the due timers go to. */
  queueUrl: string;
  /** The standard delay queue, where timers not yet due go back. */
  delayQueueUrl: string;
}

export interface DelayedRecord {
  /** The delay queue's message id: the same record redelivered relays under the same dedup id. */
  messageId: string;
  body: string;
}

/**
 * Moves timers out of the standard delay queue into their actor's FIFO group once due, restoring
 * per-actor order; a timer that is not yet due (a delay is capped at 15 minutes) goes back with the
 * remaining delay. Records that are not timers are dropped: nothing could ever deliver them.
 * The Lambda entry calls this with its SQS event's records; tests and benchmarks use pumpDelayQueue.
 */
export async function relayDelayedTimers(
  records: readonly DelayedRecord[],
  options: DelayRelayOptions,
): Promise<void> {
  const now = options.clock.now();
  const due: OutgoingMessage[] = [];
  const later: OutgoingMessage[] = [];
  for (const record of records) {
    const timer = parseDelayedTimer(record.body);
    if (!timer) continue;
    if (timer.at <= now) {
      const body = timerBody(timer);
      due.push({
        body,
        bytes: Buffer.byteLength(body),
        groupId: timer.actorId,
        deduplicationId: relayDeduplicationId(timer, record.messageId),
      });
    } else {
      const body = delayedTimerBody(timer);
      const delaySeconds = Math.min(DEFAULTS.delayQueueMaxSeconds, Math.ceil((timer.at - now) / 1000));
      later.push({ body, bytes: Buffer.byteLength(body), delaySeconds });
    }
  }
  // Settled, not raced: the Lambda entry returns (and freezes) right after this, so one failing
  // send must not leave the other running.
  const results = await Promise.allSettled([
    due.length > 0 ? sendInOrder(options.sqs, options.queueUrl, due) : undefined,
    later.length > 0 ? sendInOrder(options.sqs, options.delayQueueUrl, later) : undefined,
  ]);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failure) throw failure.reason;
}

/** Receives what the delay queue has released, relays it and deletes it; returns how many it handled. */
export async function pumpDelayQueue(options: DelayRelayOptions & { waitSeconds?: number }): Promise<number> {
  const { sqs, delayQueueUrl } = options;
  let received: {
    MessageId?: string | undefined;
    Body?: string | undefined;
    ReceiptHandle?: string | undefined;
  }[];
  try {
    const result = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: delayQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: options.waitSeconds ?? 0,
      }),
    );
    received = result.Messages ?? [];
  } catch (error) {
    throw storeError(error, "receiving from the delay queue");
  }
  if (received.length === 0) return 0;
  await relayDelayedTimers(
    received.map((m) => ({ messageId: m.MessageId ?? "", body: m.Body ?? "" })),
    options,
  );
  const Entries = received.flatMap((m, i) =>
    m.ReceiptHandle ? [{ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle }] : [],
  );
  await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: delayQueueUrl, Entries }));
  return received.length;
}
