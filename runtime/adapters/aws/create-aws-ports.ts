import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { S3Client } from "@aws-sdk/client-s3";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SQSClient } from "@aws-sdk/client-sqs";
import { type Clock, systemClock } from "../../ports/clock.ts";
import type { FabricPorts } from "../../ports/index.ts";
import type { Signal, SignalBus } from "../../ports/signal-bus.ts";
import { ENV } from "./config.ts";
import { DynamoActorStore } from "./dynamodb-actor-store.ts";
import { DynamoStepStore } from "./dynamodb-step-store.ts";
import { EventBridgeSignalBus } from "./eventbridge-signal-bus.ts";
import { S3StateBlobs } from "./s3-state-blobs.ts";
import { SchedulerTimers } from "./scheduler-timers.ts";
import { type AwsFabricSettings, type EnvSource, readAwsSettings } from "./settings.ts";
import { SqsMessageQueue } from "./sqs-message-queue.ts";

export interface AwsClients {
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
  scheduler: SchedulerClient;
  eventbridge: EventBridgeClient;
  s3: S3Client;
}

export interface AwsPortsOptions {
  /** Settings to use as they are; otherwise read from `env` (the construct's variables). */
  settings?: AwsFabricSettings;
  env?: EnvSource;
  /** Clients to reuse; missing ones are built from the environment (region, credentials). */
  clients?: Partial<AwsClients>;
  clock?: Clock;
  maxStateBytes?: number;
  /** JSON attributes above this many bytes are gzipped (default 32 KB). */
  compressAboveBytes?: number;
  /** Long-poll wait of DLQ reads in `deadLetters` (default 1 s; 0 suits emulators). */
  deadLetterWaitSeconds?: number;
}

export interface AwsPorts extends FabricPorts {
  settings: AwsFabricSettings;
  clients: AwsClients;
}

/**
 * The ports of the AWS backend. On Lambda, `createAwsPorts()` reads everything from the environment
 * the DurableFabric construct sets; tests pass emulator clients and settings.
 * @example const ports = createAwsPorts(); await runTurn({ ports, ... }, "counter-1", messages);
 */
export function createAwsPorts(options: AwsPortsOptions = {}): AwsPorts {
  const settings = options.settings ?? readAwsSettings(options.env ?? process.env);
  const clock = options.clock ?? systemClock;
  const clients: AwsClients = {
    dynamodb: options.clients?.dynamodb ?? new DynamoDBClient({}),
    sqs: options.clients?.sqs ?? new SQSClient({}),
    scheduler: options.clients?.scheduler ?? new SchedulerClient({}),
    eventbridge: options.clients?.eventbridge ?? new EventBridgeClient({}),
    s3: options.clients?.s3 ?? new S3Client({ forcePathStyle: pathStyle(options.env ?? process.env) }),
  };
  return {
    settings,
    clients,
    clock,
    store: new DynamoActorStore({
      client: clients.dynamodb,
      stateTable: settings.stateTable,
      maxStateBytes: options.maxStateBytes,
      compressAboveBytes: options.compressAboveBytes,
      blobs: settings.stateBucket
        ? new S3StateBlobs({ client: clients.s3, bucket: settings.stateBucket })
        : undefined,
    }),
    steps: new DynamoStepStore({
      client: clients.dynamodb,
      table: settings.workflowsTable,
      clock,
      compressAboveBytes: options.compressAboveBytes,
    }),
    queue: new SqsMessageQueue({
      client: clients.sqs,
      queueUrl: settings.queueUrl,
      dlqUrl: settings.queueDlqUrl,
      maxReceives: settings.maxReceives,
      clock,
      deadLetterWaitSeconds: options.deadLetterWaitSeconds,
    }),
    timers: new SchedulerTimers({
      scheduler: clients.scheduler,
      sqs: clients.sqs,
      clock,
      queueUrl: settings.queueUrl,
      queueArn: settings.queueArn,
      roleArn: settings.schedulerRoleArn,
      group: settings.scheduleGroup,
      dlqArn: settings.schedulerDlqArn,
      delayQueueUrl: settings.delayQueueUrl,
    }),
    signals: settings.busName
      ? new EventBridgeSignalBus({ client: clients.eventbridge, busName: settings.busName })
      : missingBus,
  };
}

/**
 * An S3 endpoint of its own (LocalStack, moto, fauxqs) serves buckets by path: virtual-hosted
 * names (`bucket.localhost`) would need DNS that such a setup seldom has. AWS itself is reached
 * virtual-hosted, as the SDK defaults.
 */
function pathStyle(env: EnvSource): boolean {
  return Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL);
}

/** A fabric without a bus refuses signals when they are relayed, naming the missing variable. */
const missingBus: SignalBus = {
  async publish(signals: readonly Signal[]): Promise<void> {
    if (signals.length === 0) return;
    throw new Error(`signals need an EventBridge bus: ${ENV.busName} is not set`);
  },
};
