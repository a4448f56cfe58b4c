import { randomUUID } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  createFabricQueues,
  createFabricTables,
  createStateBucket,
  type FabricQueues,
  type FabricResourcesOptions,
  type FabricTables,
  type StateBucket,
} from "../../runtime/adapters/aws/fabric-resources.ts";
import type { AwsFabricSettings } from "../../runtime/adapters/aws/settings.ts";
import type { SqsMessageQueue } from "../../runtime/adapters/aws/sqs-message-queue.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import { dynamoDbLocal } from "./dynamodb-local.ts";
import { fauxqs } from "./fauxqs.ts";

export interface EmulatorClients {
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
  /** S3 on fauxqs (the same server as SQS). */
  s3: S3Client;
}

let clients: Promise<EmulatorClients> | undefined;

/** Clients for DynamoDB Local and fauxqs, starting both (once per process) on first use. */
export function emulatorClients(): Promise<EmulatorClients> {
  clients ??= Promise.all([dynamoDbLocal(), fauxqs()]).then(([ddb, sqs]) => ({
    dynamodb: ddb.client(),
    sqs: sqs.client(),
    s3: sqs.s3(),
  }));
  return clients;
}

/** A name prefix no other test (or earlier run against a long-lived emulator) uses. */
export function uniquePrefix(name: string): string {
  return `${name}-${randomUUID().slice(0, 8)}`;
}

let tables: Promise<FabricTables> | undefined;

/**
 * One set of tables for the whole process: creating tables costs DynamoDB Local tens of
 * milliseconds each, and cases that use fresh actor ids never see each other's items.
 */
export function sharedTables(): Promise<FabricTables> {
  tables ??= emulatorClients().then(({ dynamodb }) => createFabricTables(dynamodb, uniquePrefix("shared")));
  return tables;
}

/** Fresh queues (empty, with their own DLQs) for a case that looks at everything a queue holds. */
export async function freshQueues(
  name: string,
  options: Pick<
    FabricResourcesOptions,
    "maxReceives" | "visibilityTimeoutSeconds" | "delayQueue" | "redriveSlackReceives"
  > = {},
): Promise<FabricQueues> {
  const { sqs } = await emulatorClients();
  return createFabricQueues(sqs, uniquePrefix(name), options);
}

/** A fresh large-state bucket on fauxqs (a case that looks at every object it holds). */
export async function freshBucket(name: string): Promise<StateBucket> {
  const { s3 } = await emulatorClients();
  return createStateBucket(s3, uniquePrefix(name));
}

/** Settings for shared tables plus the given queues: what the construct would inject. */
export async function testSettings(
  queues: FabricQueues,
  overrides: Partial<AwsFabricSettings> = {},
): Promise<AwsFabricSettings> {
  const t = await sharedTables();
  return {
    stateTable: t.stateTable,
    locksTable: t.locksTable,
    workflowsTable: t.workflowsTable,
    queueUrl: queues.queueUrl,
    queueArn: queues.queueArn,
    queueDlqUrl: queues.queueDlqUrl,
    delayQueueUrl: queues.delayQueueUrl,
    schedulerDlqArn: queues.timerDlqArn,
    schedulerRoleArn: "arn:aws:iam::000000000000:role/durable-scheduler",
    maxReceives: 5,
    leaseMs: 30_000,
    ...overrides,
  };
}

/**
 * Receives and acknowledges everything the queue will hand out now. fauxqs gives one message per
 * actor per receive, so this keeps receiving until a receive comes back empty.
 */
export async function drainQueue(queue: SqsMessageQueue, maxRounds = 100): Promise<ActorMessage[]> {
  const messages: ActorMessage[] = [];
  for (let round = 0; round < maxRounds; round++) {
    const batch = await queue.receive({ maxMessages: 10, visibilityTimeoutMs: 30_000 });
    if (batch.length === 0) break;
    messages.push(...batch.map((delivery) => delivery.message));
    await queue.ack(batch);
  }
  return messages;
}
