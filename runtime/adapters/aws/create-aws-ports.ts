import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SQSClient } from "@aws-sdk/client-sqs";
import { type Clock, systemClock } from "../../ports/clock.ts";
import type { FabricPorts } from "../../ports/index.ts";
import type { Signal, SignalBus } from "../../ports/signal-bus.ts";
import { ENV } from "./config.ts";
import { DynamoActorStore } from "./dynamodb-actor-store.ts";
import { DynamoStepStore } from "./dynamodb-step-store.ts";
import { EventBridgeSignalBus } from "./eventbridge-signal-bus.ts";
import { SchedulerTimers } from "./scheduler-timers.ts";
import { type AwsFabricSettings, type EnvSource, readAwsSettings } from "./settings.ts";
import { SqsMessageQueue } from "./sqs-message-queue.ts";

export interface AwsClients {
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
  scheduler: SchedulerClient;
  eventbridge: EventBridgeClient;
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

/** A fabric without a bus refuses signals when they are relayed, naming the missing variable. */
const missingBus: SignalBus = {
  async publish(signals: readonly Signal[]): Promise<void> {
    if (signals.length === 0) return;
    throw new Error(`signals need an EventBridge bus: ${ENV.busName} is not set`);
  },
};
