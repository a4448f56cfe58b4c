import { ArnFormat, Stack } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { TABLES } from "../runtime/adapters/aws/config.ts";
import { STATE_OBJECT_PREFIX, SWEEP_CURSOR_KEY } from "../runtime/adapters/shared/state-objects.ts";
import type { FabricNames } from "./names.ts";

export interface FabricAccess {
  names: FabricNames;
  state: dynamodb.ITable;
  locks: dynamodb.ITable;
  workflows: dynamodb.ITable;
  stateBucket: s3.IBucket;
  queue: sqs.IQueue;
  queueDlq: sqs.IQueue;
  delayQueue: sqs.IQueue;
  schedulerRole: iam.IRole;
}

// TransactWriteItems / TransactGetItems have no IAM actions of their own: they are authorized by
// the item-level actions below. Scan is never granted: every access path is by key.
const READ = ["dynamodb:GetItem", "dynamodb:BatchGetItem"];
const ITEM_WRITE = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"];
// Consuming via an event source mapping plus sending (outbox relay, timer relay, near timers).
const QUEUE_ACTIONS = [
  "sqs:SendMessage",
  "sqs:ReceiveMessage",
  "sqs:DeleteMessage",
  "sqs:ChangeMessageVisibility",
  "sqs:GetQueueAttributes",
];

/** The exact statements one fabric function needs; every action is listed, none is a wildcard. */
export function fabricStatements(stack: Stack, access: FabricAccess): iam.PolicyStatement[] {
  const { names } = access;
  return [
    new iam.PolicyStatement({
      sid: "ActorStateAndSteps",
      actions: [...READ, ...ITEM_WRITE, "dynamodb:DeleteItem", "dynamodb:Query"],
      resources: [access.state.tableArn, access.workflows.tableArn],
    }),
    // The sweeper queries the sparse index of unfinished work; nothing else reads an index.
    new iam.PolicyStatement({
      sid: "StrandedIndex",
      actions: ["dynamodb:Query"],
      resources: [`${access.state.tableArn}/index/${TABLES.state.strandedIndex.name}`],
    }),
    // No DeleteItem and no Query on Locks: a lease record is never deleted (its epoch must stay
    // monotonic) and is only ever read by key.
    new iam.PolicyStatement({
      sid: "ActorLeases",
      actions: [...READ, ...ITEM_WRITE],
      resources: [access.locks.tableArn],
    }),
    // Large states: objects the runtime writes before a commit, reads on load and deletes once no
    // record points at them; listing (the orphan sweep) is confined to the state/ prefix.
    new iam.PolicyStatement({
      sid: "LargeStates",
      actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
      resources: stateObjectArns(access.stateBucket),
    }),
    new iam.PolicyStatement({
      sid: "LargeStatesSweep",
      actions: ["s3:ListBucket"],
      resources: [access.stateBucket.bucketArn],
      conditions: { StringLike: { "s3:prefix": [STATE_OBJECT_PREFIX, `${STATE_OBJECT_PREFIX}*`] } },
    }),
    new iam.PolicyStatement({
      sid: "ActorQueues",
      actions: QUEUE_ACTIONS,
      resources: [access.queue.queueArn, access.delayQueue.queueArn],
    }),
    // The adapter dead-letters a message itself once it is past maxReceives (with the reason
    // attached); reading the DLQ back is an operator task, so no receive here.
    new iam.PolicyStatement({
      sid: "DeadLetterActors",
      actions: ["sqs:SendMessage", "sqs:GetQueueAttributes"],
      resources: [access.queueDlq.queueArn],
    }),
    new iam.PolicyStatement({
      sid: "FarTimers",
      actions: ["scheduler:CreateSchedule", "scheduler:DeleteSchedule"],
      resources: [scheduleArn(stack, names)],
    }),
    new iam.PolicyStatement({
      sid: "PassSchedulerRole",
      actions: ["iam:PassRole"],
      resources: [access.schedulerRole.roleArn],
      conditions: { StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" } },
    }),
    // The bus ARN is built from its deterministic name instead of GetAtt so the policy does not
    // depend on how an emulator resolves the bus's attributes.
    new iam.PolicyStatement({
      sid: "PublishSignals",
      actions: ["events:PutEvents"],
      resources: [
        stack.formatArn({
          service: "events",
          resource: "event-bus",
          resourceName: names.bus,
          arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
        }),
      ],
    }),
  ];
}

/** The objects the runtime may touch: states under state/, and the sweep's cursor. */
export function stateObjectArns(bucket: s3.IBucket): string[] {
  return [bucket.arnForObjects(`${STATE_OBJECT_PREFIX}*`), bucket.arnForObjects(SWEEP_CURSOR_KEY)];
}

/** Every schedule in the fabric's group: the runtime names each far timer's schedule itself. */
export function scheduleArn(stack: Stack, names: FabricNames): string {
  return stack.formatArn({
    service: "scheduler",
    resource: "schedule",
    resourceName: `${names.scheduleGroup}/*`,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/** What an operator needs to read a stage: the queues a letter can be read from besides the state. */
export interface InspectAccess {
  state: dynamodb.ITable;
  /** Where states too large for an item are kept: a read of such an actor reads its object. */
  stateBucket: s3.IBucket;
  deadLetterQueues: readonly sqs.IQueue[];
}

/**
 * Read-only access for `durable state list/get --stage` and `durable inspect --stage`: the fleet
 * index, the state items (their waiting lists, and the objects of large states), and reading the
 * DLQs (a letter received is released again at once). Changing a stage (invoke, unpark, redrive) is not part of it.
 */
export function inspectStatements(access: InspectAccess): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: "FleetIndex",
      actions: ["dynamodb:Query"],
      resources: [`${access.state.tableArn}/index/${TABLES.state.fleetIndex.name}`],
    }),
    new iam.PolicyStatement({
      sid: "ActorStateRead",
      actions: [...READ, "dynamodb:Query"],
      resources: [access.state.tableArn],
    }),
    new iam.PolicyStatement({
      sid: "LargeStatesRead",
      actions: ["s3:GetObject"],
      resources: [access.stateBucket.arnForObjects(`${STATE_OBJECT_PREFIX}*`)],
    }),
    new iam.PolicyStatement({
      sid: "DeadLettersRead",
      actions: ["sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
      resources: access.deadLetterQueues.map((q) => q.queueArn),
    }),
  ];
}

export function grantFabricAccess(fn: lambda.Function, access: FabricAccess): void {
  for (const statement of fabricStatements(Stack.of(fn), access)) fn.addToRolePolicy(statement);
}
