import {
  CloudWatchLogsClient,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
import {
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import { DeleteBucketCommand, HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import {
  DeleteScheduleGroupCommand,
  GetScheduleGroupCommand,
  SchedulerClient,
} from "@aws-sdk/client-scheduler";
import { DeleteQueueCommand, GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import { fabricNames, stateBucketName } from "../../infra/names.ts";
import { emptyBucket } from "../../runtime/adapters/aws/fabric-resources.ts";
import { type AwsEnvironment, sdkClientConfig } from "./aws-environment.ts";

export type KeptKind = "table" | "queue" | "bucket" | "schedule group" | "log group" | "role";

/**
 * A resource a kept stage keeps when its stack is destroyed, and how CloudFormation identifies it
 * for a resource import (the property and, once found, its value).
 */
export interface KeptResource {
  kind: KeptKind;
  type: string;
  name: string;
  /** The template property that holds the name. */
  nameProperty: string;
  /** The import identifier: the name itself, except a queue's, which is its URL. */
  identifierProperty: string;
}

const KINDS: Record<string, { kind: KeptKind; nameProperty: string; identifierProperty: string }> = {
  "AWS::DynamoDB::Table": { kind: "table", nameProperty: "TableName", identifierProperty: "TableName" },
  "AWS::SQS::Queue": { kind: "queue", nameProperty: "QueueName", identifierProperty: "QueueUrl" },
  "AWS::Scheduler::ScheduleGroup": {
    kind: "schedule group",
    nameProperty: "Name",
    identifierProperty: "Name",
  },
  "AWS::Logs::LogGroup": {
    kind: "log group",
    nameProperty: "LogGroupName",
    identifierProperty: "LogGroupName",
  },
  "AWS::IAM::Role": { kind: "role", nameProperty: "RoleName", identifierProperty: "RoleName" },
  "AWS::S3::Bucket": { kind: "bucket", nameProperty: "BucketName", identifierProperty: "BucketName" },
};

function kept(type: string, name: string): KeptResource {
  const kind = KINDS[type];
  if (!kind) throw new Error(`no kept-resource kind for ${type}`);
  return { type, name, ...kind };
}

/** Where a stage lives: its large-state bucket's name carries both. */
export interface StageLocation {
  account: string;
  region: string;
}

/**
 * What `durable destroy` leaves behind for a kept stage of `stackName`, by name: the same set the
 * fabric gives a Retain policy (a test compares the two), known without a synth so destroy needs
 * no build.
 */
export function keptResourcesOf(stackName: string, where: StageLocation): KeptResource[] {
  const names = fabricNames(stackName);
  return [
    kept("AWS::DynamoDB::Table", names.stateTable),
    kept("AWS::DynamoDB::Table", names.locksTable),
    kept("AWS::DynamoDB::Table", names.workflowsTable),
    kept("AWS::S3::Bucket", stateBucketName(stackName, where.account, where.region)),
    kept("AWS::SQS::Queue", names.queue),
    kept("AWS::SQS::Queue", names.queueDlq),
    kept("AWS::SQS::Queue", names.delayQueue),
    kept("AWS::SQS::Queue", names.timerDlq),
    kept("AWS::SQS::Queue", names.signalDlq),
    kept("AWS::Scheduler::ScheduleGroup", names.scheduleGroup),
    kept("AWS::Logs::LogGroup", `/aws/lambda/${stackName}-handler`),
    kept("AWS::IAM::Role", names.schedulerRole),
  ];
}

/** A kept resource that exists, with the value of its import identifier. */
export interface FoundResource extends KeptResource {
  identifier: string;
}

/** Which of `resources` exist (one read each, in parallel). */
export async function findKeptResources(
  aws: AwsEnvironment,
  resources: readonly KeptResource[],
): Promise<FoundResource[]> {
  const clients = new KeptClients(aws);
  try {
    const found = await Promise.all(resources.map((r) => clients.find(r)));
    return found.filter((r): r is FoundResource => r !== undefined);
  } finally {
    clients.destroy();
  }
}

/** Deletes kept resources for good (a table's deletion protection is lifted first). */
export async function deleteKeptResources(
  aws: AwsEnvironment,
  resources: readonly FoundResource[],
): Promise<void> {
  const clients = new KeptClients(aws);
  try {
    for (const resource of resources) await clients.delete(resource);
  } finally {
    clients.destroy();
  }
}

/** Deletes every object of a stage's large-state bucket (a missing bucket has none); returns how many. */
export async function emptyStateBucket(aws: AwsEnvironment, bucket: string): Promise<number> {
  const clients = new KeptClients(aws);
  try {
    return await clients.empty(bucket);
  } finally {
    clients.destroy();
  }
}

/** "tables a, b; queues c; log group d": the kept resources in one line, grouped by kind. */
export function describeKept(resources: readonly KeptResource[]): string {
  const groups = new Map<KeptKind, string[]>();
  for (const r of resources) groups.set(r.kind, [...(groups.get(r.kind) ?? []), r.name]);
  return [...groups]
    .map(([kind, names]) => `${names.length > 1 ? plural(kind) : kind} ${names.join(", ")}`)
    .join("; ");
}

function plural(kind: KeptKind): string {
  return kind === "schedule group" ? "schedule groups" : kind === "log group" ? "log groups" : `${kind}s`;
}

const MISSING = /NotFound|NonExistent|NoSuchEntity|NoSuchBucket|does not exist/i;

function isMissing(error: unknown): boolean {
  return error instanceof Error && (MISSING.test(error.name) || MISSING.test(error.message));
}

class KeptClients {
  readonly #dynamodb: DynamoDBClient;
  readonly #sqs: SQSClient;
  readonly #logs: CloudWatchLogsClient;
  readonly #scheduler: SchedulerClient;
  readonly #iam: IAMClient;
  readonly #s3: S3Client;

  constructor(aws: AwsEnvironment) {
    const config = sdkClientConfig(aws);
    this.#s3 = new S3Client({ ...config, forcePathStyle: config.endpoint !== undefined });
    this.#dynamodb = new DynamoDBClient(config);
    this.#sqs = new SQSClient(config);
    this.#logs = new CloudWatchLogsClient(config);
    this.#scheduler = new SchedulerClient(config);
    this.#iam = new IAMClient(config);
  }

  async find(resource: KeptResource): Promise<FoundResource | undefined> {
    try {
      const identifier = await this.#identifier(resource);
      return identifier === undefined ? undefined : { ...resource, identifier };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async #identifier(r: KeptResource): Promise<string | undefined> {
    switch (r.kind) {
      case "table":
        await this.#dynamodb.send(new DescribeTableCommand({ TableName: r.name }));
        return r.name;
      case "queue":
        return (await this.#sqs.send(new GetQueueUrlCommand({ QueueName: r.name }))).QueueUrl;
      case "log group": {
        const { logGroups } = await this.#logs.send(
          new DescribeLogGroupsCommand({ logGroupNamePrefix: r.name }),
        );
        return logGroups?.some((g) => g.logGroupName === r.name) ? r.name : undefined;
      }
      case "schedule group":
        await this.#scheduler.send(new GetScheduleGroupCommand({ Name: r.name }));
        return r.name;
      case "role":
        await this.#iam.send(new GetRoleCommand({ RoleName: r.name }));
        return r.name;
      case "bucket":
        await this.#s3.send(new HeadBucketCommand({ Bucket: r.name }));
        return r.name;
    }
  }

  async delete(r: FoundResource): Promise<void> {
    switch (r.kind) {
      case "table":
        await this.#dynamodb.send(
          new UpdateTableCommand({ TableName: r.name, DeletionProtectionEnabled: false }),
        );
        await this.#dynamodb.send(new DeleteTableCommand({ TableName: r.name }));
        return;
      case "queue":
        await this.#sqs.send(new DeleteQueueCommand({ QueueUrl: r.identifier }));
        return;
      case "log group":
        await this.#logs.send(new DeleteLogGroupCommand({ logGroupName: r.name }));
        return;
      case "schedule group":
        await this.#scheduler.send(new DeleteScheduleGroupCommand({ Name: r.name }));
        return;
      case "role": {
        const { PolicyNames } = await this.#iam.send(new ListRolePoliciesCommand({ RoleName: r.name }));
        for (const PolicyName of PolicyNames ?? []) {
          await this.#iam.send(new DeleteRolePolicyCommand({ RoleName: r.name, PolicyName }));
        }
        await this.#iam.send(new DeleteRoleCommand({ RoleName: r.name }));
        return;
      }
      case "bucket":
        await emptyBucket(this.#s3, r.name);
        await this.#s3.send(new DeleteBucketCommand({ Bucket: r.name }));
        return;
    }
  }

  /** A dev stage's bucket must be empty before CloudFormation can delete it with the stack. */
  async empty(bucket: string): Promise<number> {
    try {
      return await emptyBucket(this.#s3, bucket);
    } catch (error) {
      if (isMissing(error)) return 0;
      throw error;
    }
  }

  destroy(): void {
    this.#dynamodb.destroy();
    this.#sqs.destroy();
    this.#logs.destroy();
    this.#scheduler.destroy();
    this.#iam.destroy();
    this.#s3.destroy();
  }
}
