import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as iam from "aws-cdk-lib/aws-iam";
import { buildFabricApp } from "../../infra/app.ts";
import { TABLES } from "../../runtime/adapters/aws/config.ts";
import { arnOf, type FabricFixture, fabricFixture, logicalId, synthTemplate } from "./fixtures.ts";

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

let fixture: FabricFixture;
let template: Template;

beforeAll(() => {
  fixture = fabricFixture();
  ({ template } = synthTemplate(fixture));
});
afterAll(() => fixture[Symbol.dispose]());

function allStatements(): Statement[] {
  const policies = Object.values(template.findResources("AWS::IAM::Policy"));
  const roles = Object.values(template.findResources("AWS::IAM::Role"));
  const inline = roles.flatMap((role) => (role.Properties.Policies ?? []) as { PolicyDocument: unknown }[]);
  return [...policies.map((p) => p.Properties), ...inline].flatMap(
    (p) => (p.PolicyDocument as { Statement: Statement[] }).Statement,
  );
}

const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** The function role's statements by Sid. */
function functionStatements(): Map<string, Statement> {
  const role = logicalId(template, "AWS::IAM::Role", {
    AssumeRolePolicyDocument: {
      Statement: [
        { Action: "sts:AssumeRole", Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" } },
      ],
      Version: "2012-10-17",
    },
  });
  const policies = Object.values(template.findResources("AWS::IAM::Policy")).filter((p) =>
    JSON.stringify(p.Properties.Roles).includes(role),
  );
  const [policy, ...others] = policies;
  if (!policy || others.length > 0) throw new Error(`expected one function policy, found ${policies.length}`);
  const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
  return new Map(statements.map((s) => [s.Sid ?? "", s]));
}

describe("least privilege", () => {
  test("every IAM statement lists explicit actions: none contains '*' and none is dynamodb:Scan", () => {
    const statements = allStatements();
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      for (const action of actionsOf(statement)) {
        expect(action).not.toContain("*");
        expect(action).not.toBe("dynamodb:Scan");
      }
      expect(statement.Resource).not.toBe("*");
    }
  });

  test("the function may read and write items (incl. transactions' item-level actions) on State and Workflows", () => {
    const statement = functionStatements().get("ActorStateAndSteps");
    const state = logicalId(template, "AWS::DynamoDB::Table", { TableName: "MyApp-dev-State" });
    const workflows = logicalId(template, "AWS::DynamoDB::Table", { TableName: "MyApp-dev-Workflows" });
    expect(statement?.Resource).toEqual([arnOf(state), arnOf(workflows)]);
    expect(actionsOf(statement as Statement).sort()).toEqual(
      [
        "dynamodb:BatchGetItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
      ].sort(),
    );
  });

  test("the function may never delete or query a lease record on Locks", () => {
    const statement = functionStatements().get("ActorLeases");
    const locks = logicalId(template, "AWS::DynamoDB::Table", { TableName: "MyApp-dev-Locks" });
    expect(statement?.Resource).toEqual(arnOf(locks));
    expect(actionsOf(statement as Statement).sort()).toEqual(
      [
        "dynamodb:BatchGetItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
      ].sort(),
    );
  });

  test("the function may send, receive, delete, change visibility and read attributes on the actor and delay queues only", () => {
    const statement = functionStatements().get("ActorQueues");
    const queue = logicalId(template, "AWS::SQS::Queue", { QueueName: "MyApp-dev-actors.fifo" });
    const delay = logicalId(template, "AWS::SQS::Queue", { QueueName: "MyApp-dev-timers" });
    expect(statement?.Resource).toEqual([arnOf(queue), arnOf(delay)]);
    expect(actionsOf(statement as Statement).sort()).toEqual(
      [
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
        "sqs:SendMessage",
      ].sort(),
    );
  });

  test("the function may only send to (dead-letter into) and read attributes of the actor DLQ", () => {
    const statement = functionStatements().get("DeadLetterActors") as Statement;
    const dlq = logicalId(template, "AWS::SQS::Queue", { QueueName: "MyApp-dev-actors-dlq.fifo" });
    expect(statement.Resource).toEqual(arnOf(dlq));
    expect(actionsOf(statement).sort()).toEqual(["sqs:GetQueueAttributes", "sqs:SendMessage"]);
  });

  test("the function may create and delete schedules only inside its schedule group", () => {
    const statement = functionStatements().get("FarTimers") as Statement;
    expect(actionsOf(statement).sort()).toEqual(["scheduler:CreateSchedule", "scheduler:DeleteSchedule"]);
    expect(JSON.stringify(statement.Resource)).toContain(":schedule/MyApp-dev-timers/*");
  });

  test("the function may pass the scheduler role, and only to Scheduler", () => {
    const statement = functionStatements().get("PassSchedulerRole") as Statement;
    const role = logicalId(template, "AWS::IAM::Role", {
      AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: "scheduler.amazonaws.com" } }] },
    });
    expect(actionsOf(statement)).toEqual(["iam:PassRole"]);
    expect(statement.Resource).toEqual(arnOf(role));
    expect(statement.Condition).toEqual({
      StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" },
    });
  });

  test("the function may put events on its own bus only", () => {
    const statement = functionStatements().get("PublishSignals") as Statement;
    expect(actionsOf(statement)).toEqual(["events:PutEvents"]);
    expect(JSON.stringify(statement.Resource)).toContain(":event-bus/MyApp-dev-signals");
  });

  test("the function may only send to the signal DLQ, which is its dead-letter target for failed signal invokes", () => {
    const statement = functionStatements().get("DeadLetterSignals") as Statement;
    const dlq = logicalId(template, "AWS::SQS::Queue", { QueueName: "MyApp-dev-signals-dlq" });
    expect(actionsOf(statement)).toEqual(["sqs:SendMessage"]);
    expect(statement.Resource).toEqual(arnOf(dlq));
  });

  test("the sweeper may query only the State table's stranded index, no other index and no Scan", () => {
    const statement = functionStatements().get("StrandedIndex") as Statement;
    expect(actionsOf(statement)).toEqual(["dynamodb:Query"]);
    expect(JSON.stringify(statement.Resource)).toContain(`/index/${TABLES.state.strandedIndex.name}`);
  });

  test("the function never queries the fleet index: listing actors is the operator's (grantInspect)", () => {
    const resources = JSON.stringify([...functionStatements().values()].map((s) => s.Resource));
    expect(resources).not.toContain(`/index/${TABLES.state.fleetIndex.name}`);
  });

  test("grantInspect gives an operator role Query on exactly the fleet index and State, item and large-state reads, DLQ reads; nothing that writes", () => {
    using fx = fabricFixture();
    const { app, stack, stackName, fabric } = buildFabricApp({
      prefix: "MyApp",
      stage: "dev",
      codeDir: fx.codeDir,
      outdir: fx.outdir,
    });
    const ops = new iam.Role(stack, "Ops", { assumedBy: new iam.AccountRootPrincipal() });
    fabric.grantInspect(ops);
    const synthesized = Template.fromJSON(app.synth().getStackByName(stackName).template);
    const opsRole = logicalId(synthesized, "AWS::IAM::Role", {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { AWS: Match.anyValue() } })],
      }),
    });
    const policy = Object.values(synthesized.findResources("AWS::IAM::Policy")).find((p) =>
      JSON.stringify(p.Properties.Roles).includes(opsRole),
    );
    const document = policy?.Properties.PolicyDocument as { Statement: Statement[] } | undefined;
    const statements = new Map((document?.Statement ?? []).map((s) => [s.Sid, s]));
    const state = logicalId(synthesized, "AWS::DynamoDB::Table", { TableName: "MyApp-dev-State" });
    const fleet = statements.get("FleetIndex") as Statement;
    expect(actionsOf(fleet)).toEqual(["dynamodb:Query"]);
    expect(fleet.Resource).toEqual({
      "Fn::Join": ["", [arnOf(state), `/index/${TABLES.state.fleetIndex.name}`]],
    });
    const read = statements.get("ActorStateRead") as Statement;
    expect(actionsOf(read).sort()).toEqual(["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"]);
    expect(read.Resource).toEqual(arnOf(state));
    const letters = statements.get("DeadLettersRead") as Statement;
    expect(actionsOf(letters).sort()).toEqual([
      "sqs:ChangeMessageVisibility",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
    ]);
    expect(letters.Resource).toEqual([
      arnOf(logicalId(synthesized, "AWS::SQS::Queue", { QueueName: "MyApp-dev-actors-dlq.fifo" })),
      arnOf(logicalId(synthesized, "AWS::SQS::Queue", { QueueName: "MyApp-dev-signals-dlq" })),
    ]);
    const objects = statements.get("LargeStatesRead") as Statement;
    expect(actionsOf(objects)).toEqual(["s3:GetObject"]);
    expect(objects.Resource).toEqual({
      "Fn::Join": ["", [arnOf(logicalId(synthesized, "AWS::S3::Bucket", {})), "/state/*"]],
    });
    expect([...statements.keys()].sort()).toEqual([
      "ActorStateRead",
      "DeadLettersRead",
      "FleetIndex",
      "LargeStatesRead",
    ]);
  });

  test("the function may get, put and delete objects only under its bucket's state/ prefix (and the sweep's cursor), and list only that prefix", () => {
    const statements = functionStatements();
    const objects = statements.get("LargeStates") as Statement;
    const bucket = logicalId(template, "AWS::S3::Bucket", {});
    expect(actionsOf(objects).sort()).toEqual(["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]);
    expect(objects.Resource).toEqual([
      { "Fn::Join": ["", [arnOf(bucket), "/state/*"]] },
      { "Fn::Join": ["", [arnOf(bucket), "/sweep/state-cursor"]] },
    ]);
    const list = statements.get("LargeStatesSweep") as Statement;
    expect(actionsOf(list)).toEqual(["s3:ListBucket"]);
    expect(list.Resource).toEqual(arnOf(bucket));
    expect(list.Condition).toEqual({ StringLike: { "s3:prefix": ["state/", "state/*"] } });
  });

  test("the function role has no statements beyond the eleven the fabric needs", () => {
    expect([...functionStatements().keys()].sort()).toEqual(
      [
        "ActorLeases",
        "ActorQueues",
        "ActorStateAndSteps",
        "DeadLetterActors",
        "DeadLetterSignals",
        "FarTimers",
        "LargeStates",
        "LargeStatesSweep",
        "PassSchedulerRole",
        "PublishSignals",
        "StrandedIndex",
      ].sort(),
    );
  });

  test("the function role has no managed policy: its logs policy is inline and covers only its own log group's streams", () => {
    const roles = Object.values(template.findResources("AWS::IAM::Role"));
    for (const role of roles) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const fnRole = roles.find((r) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes("lambda."),
    );
    const inline = (fnRole?.Properties.Policies ?? []) as {
      PolicyName: string;
      PolicyDocument: { Statement: Statement[] };
    }[];
    const logs = inline.find((p) => p.PolicyName === "Logs")?.PolicyDocument.Statement;
    expect(logs).toHaveLength(1);
    expect(actionsOf(logs?.[0] as Statement).sort()).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"]);
    expect(JSON.stringify(logs?.[0]?.Resource)).toContain(
      ":log-group:/aws/lambda/MyApp-dev-handler:log-stream:*",
    );
  });
});
