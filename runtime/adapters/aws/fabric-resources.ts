import {
  type AttributeDefinition,
  CreateTableCommand,
  DeleteTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  type S3Client,
} from "@aws-sdk/client-s3";
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { DEFAULTS, redriveMaxReceiveCount, TABLES } from "./config.ts";
import type { AwsFabricSettings } from "./settings.ts";

export interface FabricResourcesOptions {
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
  /** Create the large-state bucket too (states over a DynamoDB item go there). */
  s3?: S3Client;
  /** Prefix of every table and queue name; unique per test so tests never share resources. */
  prefix: string;
  maxReceives?: number;
  leaseMs?: number;
  visibilityTimeoutSeconds?: number;
  /** Create the standard delay queue for timers under 15 minutes (default true). */
  delayQueue?: boolean;
  /** Deliveries past maxReceives before the queue's own redrive acts (default LIMITS.redriveSlackReceives). */
  redriveSlackReceives?: number;
}

export interface FabricTables {
  stateTable: string;
  locksTable: string;
  workflowsTable: string;
  destroy(): Promise<void>;
}

export interface FabricQueues {
  queueUrl: string;
  queueArn: string;
  queueDlqUrl: string;
  queueDlqArn: string;
  delayQueueUrl: string | undefined;
  /** The standard DLQ that Scheduler and the delay queue dead-letter into. */
  timerDlqUrl: string;
  timerDlqArn: string;
  destroy(): Promise<void>;
}

export interface FabricResources {
  settings: AwsFabricSettings;
  tables: FabricTables;
  queues: FabricQueues;
  bucket: StateBucket | undefined;
  destroy(): Promise<void>;
}

export interface StateBucket {
  name: string;
  /** Deletes every object, then the bucket. */
  destroy(): Promise<void>;
}

/**
 * Creates, on emulators, the tables and queues the DurableFabric construct deploys. For tests and
 * benchmarks only; a real stage gets these from CDK.
 * @example const { settings } = await createFabricResources({ dynamodb, sqs, prefix: "t1" });
 */
export async function createFabricResources(options: FabricResourcesOptions): Promise<FabricResources> {
  const [tables, queues, bucket] = await Promise.all([
    createFabricTables(options.dynamodb, options.prefix),
    createFabricQueues(options.sqs, options.prefix, options),
    options.s3 ? createStateBucket(options.s3, options.prefix) : undefined,
  ]);
  const settings: AwsFabricSettings = {
    stateTable: tables.stateTable,
    locksTable: tables.locksTable,
    workflowsTable: tables.workflowsTable,
    queueUrl: queues.queueUrl,
    queueArn: queues.queueArn,
    queueDlqUrl: queues.queueDlqUrl,
    delayQueueUrl: queues.delayQueueUrl,
    schedulerDlqArn: queues.timerDlqArn,
    stateBucket: bucket?.name,
    maxReceives: options.maxReceives ?? DEFAULTS.maxReceives,
    leaseMs: options.leaseMs ?? DEFAULTS.leaseMs,
  };
  return {
    settings,
    tables,
    queues,
    bucket,
    destroy: async () => {
      await Promise.all([tables.destroy(), queues.destroy(), bucket?.destroy()]);
    },
  };
}

/** The large-state bucket (S3 bucket names are lowercase). */
export async function createStateBucket(s3: S3Client, prefix: string): Promise<StateBucket> {
  const name = `${prefix.toLowerCase()}-state`;
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return {
    name,
    destroy: async () => {
      await emptyBucket(s3, name).catch(() => undefined);
      await s3.send(new DeleteBucketCommand({ Bucket: name })).catch(() => undefined);
    },
  };
}

/** Deletes every object of a bucket, a page at a time. */
export async function emptyBucket(s3: S3Client, bucket: string): Promise<number> {
  let deleted = 0;
  for (;;) {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length === 0) return deleted;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    deleted += keys.length;
  }
}

/** The three tables, keyed as config.ts TABLES says, with TTL where records expire. */
export async function createFabricTables(dynamodb: DynamoDBClient, prefix: string): Promise<FabricTables> {
  const names = {
    stateTable: `${prefix}-state`,
    locksTable: `${prefix}-locks`,
    workflowsTable: `${prefix}-workflows`,
  };
  const { state, workflows, locks } = TABLES;
  await Promise.all([
    createTable(dynamodb, names.stateTable, state.partitionKey, state.sortKey, state.ttlAttribute, [
      {
        IndexName: state.strandedIndex.name,
        KeySchema: [
          { AttributeName: state.strandedIndex.partitionKey, KeyType: "HASH" },
          { AttributeName: state.strandedIndex.sortKey, KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: ["actorType"] },
      },
      {
        IndexName: state.fleetIndex.name,
        KeySchema: [
          { AttributeName: state.fleetIndex.partitionKey, KeyType: "HASH" },
          { AttributeName: state.fleetIndex.sortKey, KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "KEYS_ONLY" },
      },
    ]),
    createTable(dynamodb, names.locksTable, locks.partitionKey),
    createTable(
      dynamodb,
      names.workflowsTable,
      workflows.partitionKey,
      workflows.sortKey,
      workflows.ttlAttribute,
    ),
  ]);
  return {
    ...names,
    destroy: async () => {
      await Promise.all(
        Object.values(names).map((TableName) =>
          dynamodb.send(new DeleteTableCommand({ TableName })).catch(() => undefined),
        ),
      );
    },
  };
}

/**
 * The FIFO actor queue (content-based dedup for Scheduler, redrive into a FIFO DLQ), the standard
 * delay queue and the standard timer DLQ, as the construct creates them.
 */
export async function createFabricQueues(
  sqs: SQSClient,
  prefix: string,
  options: Pick<
    FabricResourcesOptions,
    "maxReceives" | "visibilityTimeoutSeconds" | "delayQueue" | "redriveSlackReceives"
  > = {},
): Promise<FabricQueues> {
  const maxReceives = options.maxReceives ?? DEFAULTS.maxReceives;
  const visibility = String(options.visibilityTimeoutSeconds ?? DEFAULTS.functionTimeoutSeconds * 6);
  const [dlq, timerDlq] = await Promise.all([
    createQueue(sqs, `${prefix}-actors-dlq.fifo`, { FifoQueue: "true" }),
    createQueue(sqs, `${prefix}-timer-dlq`, {}),
  ]);
  const [queue, delay] = await Promise.all([
    createQueue(sqs, `${prefix}-actors.fifo`, {
      FifoQueue: "true",
      ContentBasedDeduplication: "true",
      DeduplicationScope: "messageGroup",
      FifoThroughputLimit: "perMessageGroupId",
      VisibilityTimeout: visibility,
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: dlq.arn,
        maxReceiveCount:
          options.redriveSlackReceives === undefined
            ? redriveMaxReceiveCount(maxReceives)
            : maxReceives + options.redriveSlackReceives,
      }),
    }),
    options.delayQueue === false
      ? undefined
      : createQueue(sqs, `${prefix}-delay`, {
          VisibilityTimeout: visibility,
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: timerDlq.arn, maxReceiveCount: maxReceives }),
        }),
  ]);
  return {
    queueUrl: queue.url,
    queueArn: queue.arn,
    queueDlqUrl: dlq.url,
    queueDlqArn: dlq.arn,
    delayQueueUrl: delay?.url,
    timerDlqUrl: timerDlq.url,
    timerDlqArn: timerDlq.arn,
    destroy: async () => {
      await Promise.all(
        [queue, dlq, timerDlq, ...(delay ? [delay] : [])].map(({ url }) =>
          sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined),
        ),
      );
    },
  };
}

async function createTable(
  client: DynamoDBClient,
  TableName: string,
  partitionKey: string,
  sortKey?: string,
  ttlAttribute?: string,
  indexes: GlobalSecondaryIndex[] = [],
): Promise<void> {
  const KeySchema: KeySchemaElement[] = [{ AttributeName: partitionKey, KeyType: "HASH" }];
  const AttributeDefinitions: AttributeDefinition[] = [{ AttributeName: partitionKey, AttributeType: "S" }];
  if (sortKey) {
    KeySchema.push({ AttributeName: sortKey, KeyType: "RANGE" });
    AttributeDefinitions.push({ AttributeName: sortKey, AttributeType: "S" });
  }
  for (const index of indexes) {
    // Index keys are strings, except the stranded index's sort key (epoch ms), as config.ts names them.
    for (const key of index.KeySchema ?? []) {
      if (!key.AttributeName) continue;
      const number = key.AttributeName === TABLES.state.strandedIndex.sortKey;
      AttributeDefinitions.push({ AttributeName: key.AttributeName, AttributeType: number ? "N" : "S" });
    }
  }
  await client.send(
    new CreateTableCommand({
      TableName,
      KeySchema,
      AttributeDefinitions,
      BillingMode: "PAY_PER_REQUEST",
      ...(indexes.length > 0 ? { GlobalSecondaryIndexes: indexes } : {}),
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName });
  if (ttlAttribute) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName,
        TimeToLiveSpecification: { Enabled: true, AttributeName: ttlAttribute },
      }),
    );
  }
}

async function createQueue(
  client: SQSClient,
  QueueName: string,
  Attributes: Record<string, string>,
): Promise<{ url: string; arn: string }> {
  const created = await client.send(new CreateQueueCommand({ QueueName, Attributes }));
  const url = created.QueueUrl;
  if (!url) throw new Error(`CreateQueue ${QueueName} returned no URL`);
  const attributes = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
  );
  const arn = attributes.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${QueueName} has no ARN`);
  return { url, arn };
}
