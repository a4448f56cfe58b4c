import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Match, type Template } from "aws-cdk-lib/assertions";
import { FABRIC_OUTPUTS } from "../../infra/outputs.ts";
import { ENV, SIGNAL_SOURCE } from "../../runtime/adapters/aws/config.ts";
import { arnOf, type FabricFixture, fabricFixture, logicalId, synthTemplate } from "./fixtures.ts";

let fixture: FabricFixture;
let template: Template;
let fn: string;

beforeAll(() => {
  fixture = fabricFixture();
  ({ template } = synthTemplate(fixture));
  fn = logicalId(template, "AWS::Lambda::Function", { FunctionName: "MyApp-dev-handler" });
});
afterAll(() => fixture[Symbol.dispose]());

describe("signals", () => {
  test("the bus is named from the prefix", () => {
    template.hasResourceProperties("AWS::Events::EventBus", { Name: "MyApp-dev-signals" });
  });

  test("the signal rule points at the bus by literal name (not a Ref moto crashes on) and depends on it", () => {
    const bus = logicalId(template, "AWS::Events::EventBus", { Name: "MyApp-dev-signals" });
    template.hasResource("AWS::Events::Rule", {
      Properties: {
        EventBusName: "MyApp-dev-signals",
        EventPattern: { source: [SIGNAL_SOURCE] },
        Targets: [Match.objectLike({ Arn: arnOf(fn) })],
      },
      DependsOn: Match.arrayWith([bus]),
    });
  });

  test("EventBridge may invoke the function only from the signal rule", () => {
    const rule = logicalId(template, "AWS::Events::Rule", { Name: "MyApp-dev-actor-signals" });
    template.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      Principal: "events.amazonaws.com",
      FunctionName: arnOf(fn),
      SourceArn: arnOf(rule),
    });
  });
});

describe("timers", () => {
  test("a schedule group is named from the prefix", () => {
    template.hasResourceProperties("AWS::Scheduler::ScheduleGroup", { Name: "MyApp-dev-timers" });
  });

  test("the scheduler role trusts only Scheduler from this account and may only send to the queue and timer DLQ", () => {
    const role = logicalId(template, "AWS::IAM::Role", {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: "scheduler.amazonaws.com" } })],
      }),
    });
    template.hasResourceProperties("AWS::IAM::Role", {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
          }),
        ],
      },
    });
    const queue = logicalId(template, "AWS::SQS::Queue", { QueueName: "MyApp-dev-actors.fifo" });
    const timerDlq = logicalId(template, "AWS::SQS::Queue", { QueueName: "MyApp-dev-timers-dlq" });
    template.hasResourceProperties("AWS::IAM::Policy", {
      Roles: [{ Ref: role }],
      PolicyDocument: {
        Statement: [
          {
            Action: "sqs:SendMessage",
            Effect: "Allow",
            Resource: [arnOf(queue), arnOf(timerDlq)],
            Sid: "DeliverTimers",
          },
        ],
      },
    });
  });
});

describe("environment", () => {
  test("the function gets exactly the variables named in config.ts ENV, wired to the fabric's resources", () => {
    const vars = template.toJSON().Resources[fn].Properties.Environment.Variables as Record<string, unknown>;
    expect(Object.keys(vars).sort()).toEqual(Object.values(ENV).sort());
    const ref = (name: string) => ({ Ref: logicalId(template, "AWS::SQS::Queue", { QueueName: name }) });
    const table = (name: string) => ({
      Ref: logicalId(template, "AWS::DynamoDB::Table", { TableName: name }),
    });
    expect(vars[ENV.stateTable]).toEqual(table("MyApp-dev-State"));
    expect(vars[ENV.locksTable]).toEqual(table("MyApp-dev-Locks"));
    expect(vars[ENV.workflowsTable]).toEqual(table("MyApp-dev-Workflows"));
    expect(vars[ENV.queueUrl]).toEqual(ref("MyApp-dev-actors.fifo"));
    expect(vars[ENV.queueArn]).toEqual(arnOf(ref("MyApp-dev-actors.fifo").Ref));
    expect(vars[ENV.queueDlqUrl]).toEqual(ref("MyApp-dev-actors-dlq.fifo"));
    expect(vars[ENV.delayQueueUrl]).toEqual(ref("MyApp-dev-timers"));
    expect(vars[ENV.schedulerDlqArn]).toEqual(arnOf(ref("MyApp-dev-timers-dlq").Ref));
    expect(vars[ENV.busName]).toBe("MyApp-dev-signals");
    expect(vars[ENV.scheduleGroup]).toBe("MyApp-dev-timers");
    expect(vars[ENV.maxReceives]).toBe("5");
    expect(vars[ENV.leaseMs]).toBe("30000");
    expect(vars[ENV.prefix]).toBe("MyApp-dev");
  });
});

describe("alarms", () => {
  test("both DLQs alarm on one visible message", () => {
    for (const [alarmName, queueName] of [
      ["MyApp-dev-actors-dlq-depth", "MyApp-dev-actors-dlq.fifo"],
      ["MyApp-dev-timers-dlq-depth", "MyApp-dev-timers-dlq"],
    ] as const) {
      template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        AlarmName: alarmName,
        Namespace: "AWS/SQS",
        MetricName: "ApproximateNumberOfMessagesVisible",
        Dimensions: [
          {
            Name: "QueueName",
            Value: {
              "Fn::GetAtt": [logicalId(template, "AWS::SQS::Queue", { QueueName: queueName }), "QueueName"],
            },
          },
        ],
        Threshold: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
      });
    }
  });

  test("the function alarms on any error", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/Lambda",
      MetricName: "Errors",
      Dimensions: [{ Name: "FunctionName", Value: { Ref: fn } }],
      Statistic: "Sum",
      Threshold: 1,
    });
    template.resourceCountIs("AWS::CloudWatch::Alarm", 3);
  });
});

describe("outputs", () => {
  test("every FABRIC_OUTPUTS key is a stack output with a stable logical id", () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(Object.values(FABRIC_OUTPUTS).sort());
    expect(outputs[FABRIC_OUTPUTS.region]?.Value).toEqual({ Ref: "AWS::Region" });
    expect(outputs[FABRIC_OUTPUTS.busName]?.Value).toBe("MyApp-dev-signals");
    expect(outputs[FABRIC_OUTPUTS.functionNames]?.Value).toEqual({ Ref: fn });
    expect(outputs[FABRIC_OUTPUTS.stateTable]?.Value).toEqual({
      Ref: logicalId(template, "AWS::DynamoDB::Table", { TableName: "MyApp-dev-State" }),
    });
    const queue = logicalId(template, "AWS::SQS::Queue", { QueueName: "MyApp-dev-actors.fifo" });
    expect(outputs[FABRIC_OUTPUTS.queueUrl]?.Value).toEqual({ Ref: queue });
    expect(outputs[FABRIC_OUTPUTS.queueArn]?.Value).toEqual(arnOf(queue));
  });
});
