import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Match, type Template } from "aws-cdk-lib/assertions";
import { FabricConfigError } from "../../infra/errors.ts";
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

  test("the signal target retries for a day, then dead-letters to the standard, encrypted signal DLQ", () => {
    const dlq = logicalId(template, "AWS::SQS::Queue", { QueueName: "MyApp-dev-signals-dlq" });
    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "MyApp-dev-signals-dlq",
      SqsManagedSseEnabled: true,
      FifoQueue: Match.absent(),
    });
    template.hasResourceProperties("AWS::Events::Rule", {
      Targets: [
        Match.objectLike({
          Arn: arnOf(fn),
          DeadLetterConfig: { Arn: arnOf(dlq) },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 },
        }),
      ],
    });
    // EventBridge may send there only on behalf of the signal rule.
    const rule = logicalId(template, "AWS::Events::Rule", { Name: "MyApp-dev-actor-signals" });
    template.hasResourceProperties("AWS::SQS::QueuePolicy", {
      Queues: [{ Ref: dlq }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: "sqs:SendMessage",
            Principal: { Service: "events.amazonaws.com" },
            Condition: { ArnEquals: { "aws:SourceArn": arnOf(rule) } },
          }),
        ]),
      },
    });
  });

  test("a signal invoke the function fails on (after Lambda's async retries) goes to the same signal DLQ", () => {
    const dlq = logicalId(template, "AWS::SQS::Queue", { QueueName: "MyApp-dev-signals-dlq" });
    template.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "MyApp-dev-handler",
      DeadLetterConfig: { TargetArn: arnOf(dlq) },
    });
  });

  test("EventBridge may invoke the function only from the signal rule and the sweep rule", () => {
    const permissions = Object.values(
      template.findResources("AWS::Lambda::Permission", {
        Properties: { Principal: "events.amazonaws.com" },
      }),
    );
    const sources = permissions.map((p) => JSON.stringify(p.Properties.SourceArn)).sort();
    const rules = ["MyApp-dev-actor-signals", "MyApp-dev-sweep"].map((Name) =>
      JSON.stringify(arnOf(logicalId(template, "AWS::Events::Rule", { Name }))),
    );
    expect(sources).toEqual(rules.sort());
  });
});

describe("sweeper", () => {
  test("a schedule rule invokes the function every minute with a durable.sweep event, without retries", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      Name: "MyApp-dev-sweep",
      ScheduleExpression: "rate(1 minute)",
      Targets: [
        Match.objectLike({
          Arn: arnOf(fn),
          Input: JSON.stringify({ type: "durable.sweep" }),
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        }),
      ],
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
    // Inline, so the role is one resource that a redeploy of a kept stage can adopt whole.
    expect(template.toJSON().Resources[role].Properties.Policies).toEqual([
      {
        PolicyName: "DeliverTimers",
        PolicyDocument: {
          Version: "2012-10-17",
          Statement: [
            {
              Action: "sqs:SendMessage",
              Effect: "Allow",
              Resource: [arnOf(queue), arnOf(timerDlq)],
              Sid: "DeliverTimers",
            },
          ],
        },
      },
    ]);
  });

  test("the scheduler role has a fixed name and follows the stage's removal policy, so pending schedules keep a role to deliver with", () => {
    template.hasResource("AWS::IAM::Role", {
      Properties: { RoleName: "MyApp-dev-scheduler" },
      DeletionPolicy: "Retain",
    });
    using dev = fabricFixture();
    synthTemplate(dev, { devStage: true }).template.hasResource("AWS::IAM::Role", {
      Properties: { RoleName: "MyApp-dev-scheduler" },
      DeletionPolicy: "Delete",
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
    expect(vars[ENV.signalDlqUrl]).toEqual(ref("MyApp-dev-signals-dlq"));
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
  test("every DLQ alarms on one visible message", () => {
    for (const [alarmName, queueName] of [
      ["MyApp-dev-actors-dlq-depth", "MyApp-dev-actors-dlq.fifo"],
      ["MyApp-dev-timers-dlq-depth", "MyApp-dev-timers-dlq"],
      ["MyApp-dev-signals-dlq-depth", "MyApp-dev-signals-dlq"],
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

  test("every DLQ alarms again when its oldest message has waited a day", () => {
    for (const [alarmName, queueName] of [
      ["MyApp-dev-actors-dlq-age", "MyApp-dev-actors-dlq.fifo"],
      ["MyApp-dev-timers-dlq-age", "MyApp-dev-timers-dlq"],
      ["MyApp-dev-signals-dlq-age", "MyApp-dev-signals-dlq"],
    ] as const) {
      const queue = logicalId(template, "AWS::SQS::Queue", { QueueName: queueName });
      template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        AlarmName: alarmName,
        Namespace: "AWS/SQS",
        MetricName: "ApproximateAgeOfOldestMessage",
        Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [queue, "QueueName"] } }],
        Statistic: "Maximum",
        Threshold: 86_400,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
      });
    }
  });

  test("a parked actor alarms: the Sum of the runtime's ActorsParked EMF metric for this fabric's actor queue is at least 1", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "MyApp-dev-actors-parked",
      Namespace: "DurableLambda",
      MetricName: "ActorsParked",
      Dimensions: Match.arrayEquals([
        { Name: "Fabric", Value: "MyApp-dev" },
        { Name: "Source", Value: "actor-queue" },
      ]),
      Statistic: "Sum",
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      TreatMissingData: "notBreaching",
    });
  });

  test("the function alarms on any error, and its description says poison messages are not errors", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "MyApp-dev-function-errors",
      Namespace: "AWS/Lambda",
      MetricName: "Errors",
      Dimensions: [{ Name: "FunctionName", Value: { Ref: fn } }],
      Statistic: "Sum",
      Threshold: 1,
      AlarmDescription: Match.stringLikeRegexp("Poison messages do not count here.*batchItemFailures"),
    });
    template.resourceCountIs("AWS::CloudWatch::Alarm", 8);
  });

  test("without aws.alarms no alarm has an action; with a topic ARN every alarm notifies it", () => {
    for (const alarm of Object.values(template.findResources("AWS::CloudWatch::Alarm"))) {
      expect(alarm.Properties.AlarmActions).toBeUndefined();
    }
    using withTopic = fabricFixture();
    const topicArn = "arn:aws:sns:eu-west-1:123456789012:ops-pager";
    const { template: notified } = synthTemplate(withTopic, { alarms: topicArn });
    const alarms = Object.values(notified.findResources("AWS::CloudWatch::Alarm"));
    expect(alarms).toHaveLength(8);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([topicArn]);
    notified.resourceCountIs("AWS::SNS::Topic", 0);
  });

  test("with an email address, the stack creates a TLS-only topic with an email subscription and every alarm notifies it", () => {
    using withEmail = fabricFixture();
    const { template: mailed } = synthTemplate(withEmail, { alarms: "ops@example.com" });
    const topic = logicalId(mailed, "AWS::SNS::Topic", { TopicName: "MyApp-dev-alarms" });
    mailed.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "ops@example.com",
      TopicArn: { Ref: topic },
    });
    mailed.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
    const alarms = Object.values(mailed.findResources("AWS::CloudWatch::Alarm"));
    expect(alarms).toHaveLength(8);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
  });

  test("an alarm target that is neither a topic ARN nor an email address fails the synth with FabricConfigError", () => {
    using bad = fabricFixture();
    expect(() => synthTemplate(bad, { alarms: "ops-team" })).toThrow(FabricConfigError);
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
