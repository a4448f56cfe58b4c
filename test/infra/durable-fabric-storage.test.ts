import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Match, type Template } from "aws-cdk-lib/assertions";
import { DEFAULTS, TABLES } from "../../runtime/adapters/aws/config.ts";
import { LIMITS } from "../../runtime/core/limits.ts";
import { arnOf, type FabricFixture, fabricFixture, logicalId, synthTemplate } from "./fixtures.ts";

let fixture: FabricFixture;
let template: Template;

beforeAll(() => {
  fixture = fabricFixture();
  ({ template } = synthTemplate(fixture, { timeoutSeconds: 40 }));
});
afterAll(() => fixture[Symbol.dispose]());

describe("tables", () => {
  test("State, Locks and Workflows exist with the key schema config.ts TABLES declares", () => {
    template.resourceCountIs("AWS::DynamoDB::Table", 3);
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: "MyApp-dev-State",
      KeySchema: [
        { AttributeName: TABLES.state.partitionKey, KeyType: "HASH" },
        { AttributeName: TABLES.state.sortKey, KeyType: "RANGE" },
      ],
      AttributeDefinitions: [
        { AttributeName: TABLES.state.partitionKey, AttributeType: "S" },
        { AttributeName: TABLES.state.sortKey, AttributeType: "S" },
        { AttributeName: TABLES.state.strandedIndex.partitionKey, AttributeType: "S" },
        { AttributeName: TABLES.state.strandedIndex.sortKey, AttributeType: "N" },
        { AttributeName: TABLES.state.fleetIndex.partitionKey, AttributeType: "S" },
        { AttributeName: TABLES.state.fleetIndex.sortKey, AttributeType: "S" },
      ],
    });
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: "MyApp-dev-Locks",
      KeySchema: [{ AttributeName: TABLES.locks.partitionKey, KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: TABLES.locks.partitionKey, AttributeType: "S" }],
    });
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: "MyApp-dev-Workflows",
      KeySchema: [
        { AttributeName: TABLES.workflows.partitionKey, KeyType: "HASH" },
        { AttributeName: TABLES.workflows.sortKey, KeyType: "RANGE" },
      ],
    });
  });

  test("State has the sparse stranded index the sweeper queries (shard + time, keys and actor type) and the keys-only fleet index", () => {
    const { strandedIndex, fleetIndex } = TABLES.state;
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: "MyApp-dev-State",
      GlobalSecondaryIndexes: [
        {
          IndexName: strandedIndex.name,
          KeySchema: [
            { AttributeName: strandedIndex.partitionKey, KeyType: "HASH" },
            { AttributeName: strandedIndex.sortKey, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: ["actorType"] },
        },
        {
          IndexName: fleetIndex.name,
          KeySchema: [
            { AttributeName: fleetIndex.partitionKey, KeyType: "HASH" },
            { AttributeName: fleetIndex.sortKey, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "KEYS_ONLY" },
        },
      ],
    });
  });

  test("every table is on-demand (PAY_PER_REQUEST) with no provisioned throughput", () => {
    for (const table of Object.values(template.findResources("AWS::DynamoDB::Table"))) {
      expect(table.Properties.BillingMode).toBe("PAY_PER_REQUEST");
      expect(table.Properties.ProvisionedThroughput).toBeUndefined();
    }
  });

  test("a kept stage's tables all have point-in-time recovery and deletion protection", () => {
    using prod = fabricFixture();
    const { template: kept } = synthTemplate(prod, { stage: "prod" });
    const tables = Object.values(kept.findResources("AWS::DynamoDB::Table"));
    expect(tables).toHaveLength(3);
    for (const table of tables) {
      expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    }
  });

  test("a dev stage's tables can be deleted with it; State still has point-in-time recovery", () => {
    using dev = fabricFixture();
    const { template: disposable } = synthTemplate(dev, { devStage: true });
    for (const table of Object.values(disposable.findResources("AWS::DynamoDB::Table"))) {
      expect(table.Properties.DeletionProtectionEnabled).toBeUndefined();
    }
    disposable.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: "MyApp-dev-State",
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  test("the large-state bucket is encrypted, private, TLS-only, aborts stale uploads, and is named for its account and region", () => {
    const buckets = template.findResources("AWS::S3::Bucket");
    const [bucket, ...others] = Object.entries(buckets);
    expect(others).toHaveLength(0);
    const [id, resource] = bucket ?? ["", {}];
    expect(resource.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
    });
    expect(resource.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(resource.Properties.LifecycleConfiguration).toEqual({
      Rules: [
        {
          Id: "incomplete-uploads",
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          Status: "Enabled",
        },
      ],
    });
    expect(JSON.stringify(resource.Properties.BucketName)).toContain("myapp-dev-state-");
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      Bucket: { Ref: id },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Action: "s3:*",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ]),
      },
    });
  });

  test("a kept stage keeps its bucket (Retain) under a literal name once the stack is pinned; a dev stage's goes with it", () => {
    using prod = fabricFixture();
    const { template: kept } = synthTemplate(prod, {
      stage: "prod",
      account: "123456789012",
      region: "eu-west-1",
    });
    const [keptBucket] = Object.values(kept.findResources("AWS::S3::Bucket"));
    expect(keptBucket?.DeletionPolicy).toBe("Retain");
    expect(keptBucket?.Properties.BucketName).toBe("myapp-prod-state-123456789012-eu-west-1");
    using dev = fabricFixture();
    const { template: disposable } = synthTemplate(dev, { devStage: true });
    expect(Object.values(disposable.findResources("AWS::S3::Bucket"))[0]?.DeletionPolicy).toBe("Delete");
  });

  test("TTL is on State and Workflows, and off on Locks so lease epochs are never expired", () => {
    for (const [name, attribute] of [
      ["MyApp-dev-State", TABLES.state.ttlAttribute],
      ["MyApp-dev-Workflows", TABLES.workflows.ttlAttribute],
    ]) {
      template.hasResourceProperties("AWS::DynamoDB::Table", {
        TableName: name,
        TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
      });
    }
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: "MyApp-dev-Locks",
      TimeToLiveSpecification: Match.absent(),
    });
  });
});

describe("queues", () => {
  test("the actor queue is FIFO with an explicit .fifo name and content-based dedup for Scheduler", () => {
    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "MyApp-dev-actors.fifo",
      FifoQueue: true,
      ContentBasedDeduplication: true,
      DeduplicationScope: "messageGroup",
      FifoThroughputLimit: "perMessageGroupId",
    });
  });

  test("the actor queue redrives to a FIFO DLQ only maxReceives + the runtime's slack later (the runtime parks first)", () => {
    const dlq = logicalId(template, "AWS::SQS::Queue", { QueueName: "MyApp-dev-actors-dlq.fifo" });
    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "MyApp-dev-actors-dlq.fifo",
      FifoQueue: true,
    });
    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "MyApp-dev-actors.fifo",
      RedrivePolicy: {
        deadLetterTargetArn: arnOf(dlq),
        maxReceiveCount: DEFAULTS.maxReceives + LIMITS.redriveSlackReceives,
      },
    });
  });

  test("the visibility timeout of both consumed queues is at least 6x the function timeout", () => {
    for (const name of ["MyApp-dev-actors.fifo", "MyApp-dev-timers"]) {
      const id = logicalId(template, "AWS::SQS::Queue", { QueueName: name });
      const visibility = template.toJSON().Resources[id].Properties.VisibilityTimeout as number;
      expect(visibility).toBeGreaterThanOrEqual(6 * 40);
    }
  });

  test("the delay queue is a standard queue (per-message DelaySeconds) that redrives to the timer DLQ", () => {
    const timerDlq = logicalId(template, "AWS::SQS::Queue", { QueueName: "MyApp-dev-timers-dlq" });
    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "MyApp-dev-timers",
      FifoQueue: Match.absent(),
      RedrivePolicy: { deadLetterTargetArn: arnOf(timerDlq), maxReceiveCount: DEFAULTS.maxReceives },
    });
    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "MyApp-dev-timers-dlq",
      FifoQueue: Match.absent(),
    });
  });

  test("every queue has server-side encryption and 14-day retention to match marker TTL", () => {
    const queues = Object.values(template.findResources("AWS::SQS::Queue"));
    expect(queues).toHaveLength(5);
    for (const queue of queues) {
      expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
      expect(queue.Properties.MessageRetentionPeriod).toBe(DEFAULTS.markerTtlDays * 86_400);
    }
  });

  test("every queue refuses requests without TLS (a Deny on aws:SecureTransport false)", () => {
    const queues = Object.keys(template.findResources("AWS::SQS::Queue"));
    const policies = Object.values(template.findResources("AWS::SQS::QueuePolicy"));
    for (const queue of queues) {
      const policy = policies.find((p) => JSON.stringify(p.Properties.Queues).includes(`"${queue}"`));
      const document = policy?.Properties.PolicyDocument as
        | { Statement: Record<string, unknown>[] }
        | undefined;
      const statements = document?.Statement;
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: "Deny",
          Action: "sqs:*",
          Principal: { AWS: "*" },
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        }),
      );
    }
  });
});

describe("event source mappings", () => {
  test("the function consumes the actor queue and the delay queue with partial batch responses", () => {
    const fn = logicalId(template, "AWS::Lambda::Function", { FunctionName: "MyApp-dev-handler" });
    for (const name of ["MyApp-dev-actors.fifo", "MyApp-dev-timers"]) {
      const queue = logicalId(template, "AWS::SQS::Queue", { QueueName: name });
      template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
        EventSourceArn: arnOf(queue),
        FunctionName: { Ref: fn },
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        ScalingConfig: { MaximumConcurrency: 10 },
        BatchSize: 10,
      });
    }
    template.resourceCountIs("AWS::Lambda::EventSourceMapping", 2);
  });

  test("mappings are created only after the function's policy exists, as Lambda checks the role on create", () => {
    const fn = logicalId(template, "AWS::Lambda::Function", { FunctionName: "MyApp-dev-handler" });
    const role = template.toJSON().Resources[fn].Properties.Role["Fn::GetAtt"][0] as string;
    const policy = logicalId(template, "AWS::IAM::Policy", { Roles: [{ Ref: role }] });
    template.hasResource("AWS::Lambda::Function", {
      Properties: { FunctionName: "MyApp-dev-handler" },
      DependsOn: Match.arrayWith([policy]),
    });
    for (const mapping of Object.values(template.findResources("AWS::Lambda::EventSourceMapping"))) {
      expect(mapping.Properties.FunctionName).toEqual({ Ref: fn });
    }
  });
});
