import { Aws, Duration, Fn, RemovalPolicy, Stack } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as events from "aws-cdk-lib/aws-events";
import type * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as scheduler from "aws-cdk-lib/aws-scheduler";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { DEFAULTS, ENV, type FabricEnvName } from "../runtime/adapters/aws/config.ts";
import { FabricAlarms } from "./alarms.ts";
import { FabricConfigError } from "./errors.ts";
import { acknowledge, wildcardResourceRule } from "./nag.ts";
import { type FabricNames, fabricNames, stateBucketName } from "./names.ts";
import { addFabricOutputs } from "./outputs.ts";
import { grantFabricAccess, inspectStatements, scheduleArn, stateObjectArns } from "./permissions.ts";
import { FabricQueues } from "./queues.ts";
import { FabricSignals, FabricTimers } from "./signals-and-timers.ts";
import { FabricStateBucket } from "./state-bucket.ts";
import { FabricSweeper } from "./sweeper.ts";
import { FabricTables } from "./tables.ts";

export interface DurableFabricProps {
  /** The functions that run actors: each consumes the queues, receives signals and gets the env. */
  readonly lambdas: readonly lambda.Function[];
  /** Prefix of every physical name (tables, queues, bus, schedule group), e.g. "MyApp-dev". */
  readonly prefix: string;
  /** A dev stage is disposable: tables, queues and the schedule group are destroyed with it. */
  readonly devStage?: boolean;
  /** Cap on concurrent invocations per event source mapping (2-1000). @default 10 */
  readonly maxConcurrency?: number;
  /** Messages per invocation from each queue (1-10, the FIFO maximum). @default 10 */
  readonly batchSize?: number;
  /** Lease duration the runtime uses, in milliseconds. @default DEFAULTS.leaseMs */
  readonly leaseMs?: number;
  /** Where every alarm notifies (e.g. an SnsAction). @default none */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
  /** CloudWatch namespace of the runtime's EMF metrics (the handler's `metricsNamespace`). @default "DurableLambda" */
  readonly metricsNamespace?: string;
  /** Emit the stack outputs `durable` reads (FABRIC_OUTPUTS). @default true */
  readonly outputs?: boolean;
}

// Lambda's default when a function sets no timeout.
const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;

/**
 * Durable Objects guarantees for your Lambda functions: state, lease and workflow tables, the
 * per-actor FIFO queue, timers (delay queue + EventBridge Scheduler) and the signal bus, wired to
 * each function with least-privilege IAM and the environment the runtime's aws adapter reads.
 *
 * @example
 * new DurableFabric(this, "DurableFabric", { lambdas: [handler], prefix: "MyApp-dev", devStage: true });
 */
export class DurableFabric extends Construct {
  readonly names: FabricNames;
  readonly stateTable: dynamodb.Table;
  readonly locksTable: dynamodb.Table;
  readonly workflowsTable: dynamodb.Table;
  /** States too large for a DynamoDB item (see infra/state-bucket.ts). */
  readonly stateBucket: s3.Bucket;
  readonly queue: sqs.Queue;
  readonly queueDlq: sqs.Queue;
  readonly delayQueue: sqs.Queue;
  /** Standard DLQ for Scheduler deliveries and delay-queue relays that keep failing. */
  readonly timerDlq: sqs.Queue;
  /** Standard DLQ of signals that could not be delivered or that the function failed on. */
  readonly signalDlq: sqs.Queue;
  readonly bus: events.EventBus;
  readonly signalRule: events.Rule;
  /** Invokes the function every minute to relay outboxes a crashed turn left (see infra/sweeper.ts). */
  readonly sweepRule: events.Rule;
  readonly scheduleGroup: scheduler.ScheduleGroup;
  readonly schedulerRole: iam.Role;
  readonly eventSourceMappings: readonly lambda.EventSourceMapping[];
  readonly alarms: FabricAlarms;
  /** The variables injected into every function, by name from config.ts ENV. */
  readonly environment: Readonly<Record<FabricEnvName, string>>;

  constructor(scope: Construct, id: string, props: DurableFabricProps) {
    super(scope, id);
    const functions = [...props.lambdas];
    if (functions.length === 0) {
      throw new FabricConfigError("DurableFabric needs at least one function in `lambdas`.");
    }
    const maxConcurrency = checkRange("maxConcurrency", props.maxConcurrency ?? 10, 2, 1000);
    const batchSize = checkRange("batchSize", props.batchSize ?? 10, 1, 10);
    const leaseMs = checkRange("leaseMs", props.leaseMs ?? DEFAULTS.leaseMs, 1000, 900_000);
    const names = fabricNames(props.prefix);
    const removalPolicy = props.devStage ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    this.names = names;

    const tables = new FabricTables(this, "Tables", { names, removalPolicy, kept: !props.devStage });
    this.stateTable = tables.state;
    this.locksTable = tables.locks;
    this.workflowsTable = tables.workflows;
    const stack = Stack.of(this);
    this.stateBucket = new FabricStateBucket(this, "StateBucket", {
      bucketName: stateBucketName(props.prefix, stack.account, stack.region),
      removalPolicy,
    }).bucket;

    const queues = new FabricQueues(this, "Queues", {
      names,
      removalPolicy,
      visibilityTimeout: visibilityTimeoutFor(functions),
    });
    this.queue = queues.queue;
    this.queueDlq = queues.queueDlq;
    this.delayQueue = queues.delayQueue;
    this.timerDlq = queues.timerDlq;
    this.signalDlq = queues.signalDlq;

    const timers = new FabricTimers(this, "Timers", {
      names,
      removalPolicy,
      queue: this.queue,
      timerDlq: this.timerDlq,
    });
    this.scheduleGroup = timers.scheduleGroup;
    this.schedulerRole = timers.schedulerRole;

    const signals = new FabricSignals(this, "Signals", { names, functions, dlq: this.signalDlq });
    this.bus = signals.bus;
    this.signalRule = signals.rule;
    this.sweepRule = new FabricSweeper(this, "Sweeper", { names, functions }).rule;

    this.environment = {
      [ENV.stateTable]: this.stateTable.tableName,
      [ENV.locksTable]: this.locksTable.tableName,
      [ENV.workflowsTable]: this.workflowsTable.tableName,
      [ENV.queueUrl]: this.queue.queueUrl,
      [ENV.queueArn]: this.queue.queueArn,
      [ENV.queueDlqUrl]: this.queueDlq.queueUrl,
      [ENV.signalDlqUrl]: this.signalDlq.queueUrl,
      [ENV.delayQueueUrl]: this.delayQueue.queueUrl,
      [ENV.busName]: names.bus,
      [ENV.scheduleGroup]: names.scheduleGroup,
      [ENV.schedulerRoleArn]: this.schedulerRole.roleArn,
      [ENV.schedulerDlqArn]: this.timerDlq.queueArn,
      [ENV.maxReceives]: String(DEFAULTS.maxReceives),
      [ENV.leaseMs]: String(leaseMs),
      [ENV.prefix]: props.prefix,
      [ENV.stateBucket]: this.stateBucket.bucketName,
    };

    const access = {
      names,
      state: this.stateTable,
      locks: this.locksTable,
      workflows: this.workflowsTable,
      stateBucket: this.stateBucket,
      queue: this.queue,
      queueDlq: this.queueDlq,
      delayQueue: this.delayQueue,
      schedulerRole: this.schedulerRole,
    };
    const mappings: lambda.EventSourceMapping[] = [];
    functions.forEach((fn, i) => {
      for (const [name, value] of Object.entries(this.environment)) fn.addEnvironment(name, value);
      grantFabricAccess(fn, access);
      acknowledge(
        fn.role ?? fn,
        [wildcardResourceRule(this, scheduleArn(Stack.of(this), names))],
        "Each far timer is a one-time schedule the runtime creates under its own name; the wildcard is confined to this fabric's schedule group.",
      );
      acknowledge(
        fn.role ?? fn,
        [wildcardResourceRule(this, stateObjectArns(this.stateBucket)[0] as string)],
        "Each large state is an object the runtime names itself (actor, version, content hash); the wildcard is confined to the state/ prefix of this fabric's own bucket.",
      );
      // Partial batch responses are what keep per-actor order: after the first failure in a
      // group, the rest of the group is reported failed instead of the whole batch retrying.
      for (const [label, queue] of [
        ["Actors", this.queue],
        ["Timers", this.delayQueue],
      ] as const) {
        const mapping = new lambda.EventSourceMapping(this, `${label}Source${i}`, {
          target: fn,
          eventSourceArn: queue.queueArn,
          batchSize,
          reportBatchItemFailures: true,
          maxConcurrency,
        });
        acknowledge(
          mapping,
          ["Serverless-LambdaEventSourceMappingDestination"],
          "SQS event sources take no on-failure destination; a failing message goes to the queue's own DLQ through its redrive policy (or is dead-lettered by the runtime with its reason).",
        );
        mappings.push(mapping);
      }
    });
    this.eventSourceMappings = mappings;

    this.alarms = new FabricAlarms(this, "Alarms", {
      dlqs: [
        {
          depthAlarmName: names.queueDlqAlarm,
          ageAlarmName: names.queueDlqAgeAlarm,
          queue: this.queueDlq,
          what: "the actor DLQ (an actor is parked behind each)",
        },
        {
          depthAlarmName: names.timerDlqAlarm,
          ageAlarmName: names.timerDlqAgeAlarm,
          queue: this.timerDlq,
          what: "the timer DLQ (timers that were not delivered)",
        },
        {
          depthAlarmName: names.signalDlqAlarm,
          ageAlarmName: names.signalDlqAgeAlarm,
          queue: this.signalDlq,
          what: "the signal DLQ (signals that were not delivered or failed)",
        },
      ],
      functions,
      functionErrorsAlarmName: names.functionErrorsAlarm,
      parked: {
        alarmName: names.parkedAlarm,
        namespace: props.metricsNamespace ?? "DurableLambda",
        fabric: props.prefix,
      },
      actions: props.alarmActions ?? [],
    });

    if (props.outputs ?? true) {
      addFabricOutputs(Stack.of(this), {
        region: Aws.REGION,
        prefix: props.prefix,
        stateTable: this.stateTable.tableName,
        locksTable: this.locksTable.tableName,
        workflowsTable: this.workflowsTable.tableName,
        stateBucket: this.stateBucket.bucketName,
        queueUrl: this.queue.queueUrl,
        queueArn: this.queue.queueArn,
        queueDlqUrl: this.queueDlq.queueUrl,
        delayQueueUrl: this.delayQueue.queueUrl,
        timerDlqUrl: this.timerDlq.queueUrl,
        signalDlqUrl: this.signalDlq.queueUrl,
        busName: names.bus,
        scheduleGroup: names.scheduleGroup,
        schedulerRoleArn: this.schedulerRole.roleArn,
        functionNames: Fn.join(
          ",",
          functions.map((fn) => fn.functionName),
        ),
      });
    }
  }

  /**
   * Lets an operator's role list and inspect this fabric read-only (`durable state list --stage`,
   * `durable inspect --stage`): Query on the fleet index and the State table, item reads, the
   * objects of large states, and reading the actor and signal DLQs. Invoking, unparking and
   * redriving need more.
   * @example fabric.grantInspect(iam.Role.fromRoleName(this, "Ops", "ops"));
   */
  grantInspect(grantee: iam.IGrantable): void {
    const access = {
      state: this.stateTable,
      stateBucket: this.stateBucket,
      deadLetterQueues: [this.queueDlq, this.signalDlq],
    };
    for (const statement of inspectStatements(access)) grantee.grantPrincipal.addToPrincipalPolicy(statement);
  }
}

/**
 * A message must stay invisible for longer than any consumer can hold it, or it is redelivered
 * (out of order) while still being processed; AWS recommends 6x the function timeout.
 */
export function visibilityTimeoutFor(functions: readonly lambda.Function[]): Duration {
  const longest = Math.max(
    ...functions.map((fn) => fn.timeout?.toSeconds() ?? LAMBDA_DEFAULT_TIMEOUT_SECONDS),
  );
  // Lambda's 15-minute timeout cap keeps this under SQS's 12-hour visibility limit.
  return Duration.seconds(6 * longest);
}

function checkRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new FabricConfigError(
      `DurableFabric ${name} must be an integer from ${min} to ${max}, got ${value}.`,
    );
  }
  return value;
}
