import type { Message } from "@aws-sdk/client-sqs";
import { DurableError, InvalidInputError } from "../../core/errors.ts";
import type { Fabric } from "../../core/fabric.ts";
import { parseJson } from "../../core/json.ts";
import { isUnusable } from "../../core/queued-message.ts";
import type { ActorRegistry } from "../../core/registry.ts";
import { ALARM_HANDLER } from "../../core/timer-message.ts";
import type { Delivery } from "../../ports/message-queue.ts";
import type { ActorMessage } from "../../ports/messages.ts";
import type { AwsPorts } from "./create-aws-ports.ts";
import { relayDelayedTimers } from "./delay-relay.ts";
import { queueNameOf, type SqsBatchResult, type SqsEventLike, type SqsRecordLike } from "./lambda-events.ts";
import type { LambdaMetrics } from "./lambda-metrics.ts";
import { decodeQueuedMessage } from "./sqs-codec.ts";
import type { DeadLetterBox } from "./sqs-dead-letters.ts";
import { sequenceOf } from "./sqs-message-queue.ts";
import { parseDelayedTimer } from "./timer-envelope.ts";

export interface SqsBatchEnv {
  fabric: Fabric;
  ports: AwsPorts;
  deadLetters: DeadLetterBox;
  metrics: LambdaMetrics;
  log: (fields: Record<string, unknown>) => void;
  /** How long a failed message stays invisible before its next delivery. */
  retryDelayMs: (receiveCount: number) => number;
}

/**
 * One SQS batch: records of the FIFO actor queue are applied (one turn per actor, in order), records
 * of the standard delay queue are relayed into their actor's FIFO group. Returns the records Lambda
 * must leave in the queue; every other record is deleted by Lambda.
 */
export async function handleSqsEvent(event: SqsEventLike, env: SqsBatchEnv): Promise<SqsBatchResult> {
  const { settings } = env.ports;
  const actorQueue = queueNameOf(settings.queueUrl);
  const delayQueue = settings.delayQueueUrl ? queueNameOf(settings.delayQueueUrl) : undefined;
  const actorRecords: SqsRecordLike[] = [];
  const delayRecords: SqsRecordLike[] = [];
  for (const record of event.Records) {
    const name = queueNameOf(record.eventSourceARN);
    if (name === actorQueue) actorRecords.push(record);
    else if (name === delayQueue) delayRecords.push(record);
    else {
      // A mapping this fabric did not create: failing loudly beats guessing what its bodies mean.
      throw new Error(
        `SQS record ${record.messageId} comes from queue "${name}", which is neither the actor queue "${actorQueue}" nor the delay queue "${delayQueue ?? "(none)"}"; check the function's event source mappings`,
      );
    }
  }
  const [actorFailures, delayFailures] = await Promise.all([
    applyActorRecords(actorRecords, env),
    relayDelayRecords(delayRecords, env),
  ]);
  const failed = new Set([...actorFailures, ...delayFailures]);
  return {
    batchItemFailures: event.Records.filter((r) => failed.has(r.messageId)).map((r) => ({
      itemIdentifier: r.messageId,
    })),
  };
}

/**
 * Builds the actor message a record carries. The body goes through the runtime's safe JSON parser
 * first (prototype keys, depth), then the queue codec's shape check; the actor type and handler
 * must exist in this deployment. Throws a DurableError saying why when the record is unusable.
 */
export function toActorMessage(record: SqsRecordLike, registry: ActorRegistry): ActorMessage {
  const what = `SQS message ${record.messageId}`;
  if (typeof record.body !== "string") throw new InvalidInputError(`${what} has no body`);
  parseJson(record.body, what);
  const decoded = decodeQueuedMessage(record.body);
  if (isUnusable(decoded)) {
    throw new InvalidInputError(`${what} is not an actor message the fabric sent: ${decoded.unusable}`, {
      hint: "send to the actor queue only through the fabric (ctx.send, durable invoke --async)",
    });
  }
  const def = registry.resolveType(decoded.actorId, decoded.actorType);
  if (decoded.handler !== ALARM_HANDLER) registry.resolveHandler(def, decoded.handler);
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return {
    ...decoded,
    actorType: def.name,
    receiveCount: Number.isInteger(count) && count > 0 ? count : 1,
    sequence: sequenceOf(record.attributes?.SequenceNumber),
  };
}

/** Returns the ids of the records to report as failed. */
async function applyActorRecords(records: readonly SqsRecordLike[], env: SqsBatchEnv): Promise<string[]> {
  if (records.length === 0) return [];
  const usable: { record: SqsRecordLike; message: ActorMessage }[] = [];
  const unusable: { record: SqsRecordLike; error: DurableError }[] = [];
  for (const record of records) {
    try {
      usable.push({ record, message: toActorMessage(record, env.fabric.registry) });
    } catch (error) {
      if (!(error instanceof DurableError)) throw error;
      unusable.push({ record, error });
    }
  }
  const [applyFailures, deadLetterFailures] = await Promise.all([
    applyInOrder(usable, env),
    deadLetterUnusable(unusable, env),
  ]);
  return [...applyFailures, ...deadLetterFailures];
}

async function applyInOrder(
  usable: readonly { record: SqsRecordLike; message: ActorMessage }[],
  env: SqsBatchEnv,
): Promise<string[]> {
  if (usable.length === 0) return [];
  // A turn only skips ids it finds stored, so a second copy of an id in the same batch (a resend
  // older than SQS's 5-minute dedup window) would run twice: it shares the first copy's verdict.
  const firstById = new Map<string, ActorMessage>();
  for (const { message } of usable) if (!firstById.has(message.id)) firstById.set(message.id, message);
  const verdicts = await env.fabric.applyBatch([...firstById.values()]);
  const retries: Delivery[] = [];
  const failed: string[] = [];
  const counts = { done: 0, held: 0, parked: 0 };
  for (const { record, message } of usable) {
    const verdict = verdicts.get(message.id) ?? "retry";
    if (verdict === "done" || verdict === "held" || verdict === "parked") {
      counts[verdict]++;
      continue;
    }
    failed.push(record.messageId);
    retries.push({ message, receipt: record.receiptHandle, receiveCount: message.receiveCount ?? 1 });
  }
  const source = "actor-queue";
  env.metrics.count(source, "MessagesApplied", counts.done);
  env.metrics.count(source, "MessagesHeld", counts.held);
  env.metrics.count(source, "MessagesRetried", retries.length);
  // The message that parked its actor goes to the DLQ through the park's outbox, relayed after the commit.
  env.metrics.count(source, "MessagesDeadLettered", counts.parked);
  env.metrics.count(source, "ActorsParked", counts.parked);
  if (retries.length > 0) await retryLater(retries, env);
  return failed;
}

/**
 * Failed messages come back after a backoff instead of the queue's visibility timeout (6x the
 * function timeout: minutes of a stalled actor). Best effort: if it fails, the failures are still
 * reported, and the visibility timeout does the same, later.
 */
async function retryLater(retries: readonly Delivery[], env: SqsBatchEnv): Promise<void> {
  const byDelay = new Map<number, Delivery[]>();
  for (const d of retries) {
    const delay = Math.max(0, env.retryDelayMs(d.receiveCount));
    const list = byDelay.get(delay);
    if (list) list.push(d);
    else byDelay.set(delay, [d]);
  }
  await Promise.all(
    [...byDelay].map(async ([delay, deliveries]) => {
      try {
        await env.ports.queue.retry(deliveries, delay);
      } catch (error) {
        env.log({
          level: "warn",
          message: "could not schedule the retry of failed messages; the visibility timeout applies",
          messages: deliveries.map((d) => d.message.id),
          error: String(error),
        });
      }
    }),
  );
}

/**
 * A record no turn can read would block its actor until it ran out of receives, then reach the
 * DLQ anyway: it goes there now, with the reason, and is reported done. It was never a message the
 * fabric sent (the fabric validates what it sends), so no order among the actor's messages breaks.
 */
async function deadLetterUnusable(
  unusable: readonly { record: SqsRecordLike; error: DurableError }[],
  env: SqsBatchEnv,
): Promise<string[]> {
  if (unusable.length === 0) return [];
  const failed: string[] = [];
  await Promise.all(
    unusable.map(async ({ record, error }) => {
      const reason = `${error.code}: ${error.message}`;
      env.log({
        level: "error",
        message: "dead-lettering an unusable message",
        sqsMessageId: record.messageId,
        group: record.attributes?.MessageGroupId,
        reason,
      });
      try {
        await env.deadLetters.moveRaw([asSdkMessage(record)], reason, env.ports.clock.now());
        env.metrics.count("actor-queue", "MessagesDeadLettered", 1);
      } catch (moveError) {
        env.log({
          level: "error",
          message: "could not dead-letter the message; it stays in the queue",
          sqsMessageId: record.messageId,
          error: String(moveError),
        });
        failed.push(record.messageId);
      }
    }),
  );
  return failed;
}

function asSdkMessage(record: SqsRecordLike): Message {
  return {
    MessageId: record.messageId,
    ReceiptHandle: record.receiptHandle,
    Body: record.body,
    Attributes: {
      ApproximateReceiveCount: record.attributes?.ApproximateReceiveCount ?? "1",
      ...(record.attributes?.MessageGroupId ? { MessageGroupId: record.attributes.MessageGroupId } : {}),
    },
  };
}

/**
 * Timers under 15 minutes wait in the standard delay queue. They are relayed into their actor's
 * FIFO group rather than applied here: a standard queue keeps no per-actor order, so applying them
 * directly could run an alarm ahead of messages queued before it fired, and a failing alarm would
 * bypass the actor queue's retry, parking and DLQ. Relayed, every timer path (delay queue,
 * Scheduler, due at once) reaches the actor the same way.
 */
async function relayDelayRecords(records: readonly SqsRecordLike[], env: SqsBatchEnv): Promise<string[]> {
  if (records.length === 0) return [];
  const { settings, clients, clock } = env.ports;
  const timers = records.filter((r) => parseDelayedTimer(r.body) !== undefined);
  for (const r of records) {
    if (!parseDelayedTimer(r.body)) {
      env.log({
        level: "error",
        message: "dropping a delay-queue record that is not a timer",
        sqsMessageId: r.messageId,
        body: r.body.slice(0, 200),
      });
    }
  }
  if (timers.length === 0 || !settings.delayQueueUrl) return [];
  try {
    await relayDelayedTimers(
      timers.map((r) => ({ messageId: r.messageId, body: r.body })),
      { sqs: clients.sqs, clock, queueUrl: settings.queueUrl, delayQueueUrl: settings.delayQueueUrl },
    );
  } catch (error) {
    // Relaying again is safe: a due timer's deduplication id derives from this record's id, and past
    // SQS's dedup window the turn's marker on the timer's message id drops a second fire.
    env.log({
      level: "error",
      message: "relaying timers failed; they will be delivered again",
      error: String(error),
    });
    env.metrics.count("delay-queue", "MessagesRetried", timers.length);
    return timers.map((r) => r.messageId);
  }
  env.metrics.count("delay-queue", "TimersRelayed", timers.length);
  return [];
}
