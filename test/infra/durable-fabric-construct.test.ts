import { describe, expect, test } from "bun:test";
import { App, Duration, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as cloudwatchActions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as sns from "aws-cdk-lib/aws-sns";
import { DurableFabric, type DurableFabricProps } from "../../infra/durable-fabric.ts";
import { FabricConfigError } from "../../infra/errors.ts";
import { FABRIC_OUTPUTS } from "../../infra/outputs.ts";
import { ENV } from "../../runtime/adapters/aws/config.ts";

/** A user's own CDK app with two handlers of different timeouts. */
function userStack(props: Partial<DurableFabricProps> = {}) {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, "UserStack");
  const fn = (id: string, timeout: number) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: "index.handler",
      code: lambda.Code.fromInline("exports.handler = async () => ({});"),
      timeout: Duration.seconds(timeout),
    });
  const handlers = [fn("Orders", 10), fn("Payments", 60)];
  const fabric = new DurableFabric(stack, "DurableFabric", { lambdas: handlers, prefix: "MyApp", ...props });
  return { stack, handlers, fabric, template: () => Template.fromStack(stack) };
}

describe("DurableFabric in a user's own stack", () => {
  test("exposes its resources as fields with the prefix-derived names", () => {
    const { fabric } = userStack();
    expect(fabric.names.queue).toBe("MyApp-actors.fifo");
    expect(fabric.queue.fifo).toBe(true);
    expect(fabric.eventSourceMappings).toHaveLength(4);
    expect(Object.keys(fabric.environment).sort()).toEqual(Object.values(ENV).sort());
  });

  test("the visibility timeout follows the largest function timeout (6 x 60 s)", () => {
    userStack().template().hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "MyApp-actors.fifo",
      VisibilityTimeout: 360,
    });
  });

  test("every function gets the env, both event sources, its own least-privilege policy and a signal target", () => {
    const { stack, handlers, template } = userStack({ maxConcurrency: 50 });
    const t = template();
    for (const fn of handlers) {
      const id = stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
      const vars = t.toJSON().Resources[id].Properties.Environment.Variables as Record<string, unknown>;
      expect(Object.keys(vars).sort()).toEqual(Object.values(ENV).sort());
      const mappings = t.findResources("AWS::Lambda::EventSourceMapping", {
        Properties: { FunctionName: { Ref: id }, ScalingConfig: { MaximumConcurrency: 50 } },
      });
      expect(Object.keys(mappings)).toHaveLength(2);
      const roleId = stack.getLogicalId(fn.role?.node.defaultChild as iam.CfnRole);
      t.hasResourceProperties("AWS::IAM::Policy", {
        Roles: [{ Ref: roleId }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: "ActorStateAndSteps" })]) },
      });
    }
    t.hasResourceProperties("AWS::Events::Rule", {
      Targets: [Match.objectLike({ Id: "Target0" }), Match.objectLike({ Id: "Target1" })],
    });
    // Depth and age of three DLQs, parked actors, and one error alarm per function.
    t.resourceCountIs("AWS::CloudWatch::Alarm", 9);
    const names = t.toJSON().Outputs[FABRIC_OUTPUTS.functionNames].Value;
    expect(JSON.stringify(names)).toContain('"Fn::Join":[",",');
  });

  test("alarm actions, when given, are attached to every alarm", () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, "AlarmStack");
    const topic = new sns.Topic(stack, "Ops");
    const fn = new lambda.Function(stack, "Fn", {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: "index.handler",
      code: lambda.Code.fromInline("exports.handler = async () => ({});"),
    });
    new DurableFabric(stack, "DurableFabric", {
      lambdas: [fn],
      prefix: "Ops",
      alarmActions: [new cloudwatchActions.SnsAction(topic)],
    });
    const alarms = Object.values(Template.fromStack(stack).findResources("AWS::CloudWatch::Alarm"));
    expect(alarms).toHaveLength(8);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toHaveLength(1);
  });

  test("outputs can be turned off for stacks that define their own", () => {
    expect(userStack({ outputs: false }).template().toJSON().Outputs).toBeUndefined();
  });

  test("invalid props fail at construction with FabricConfigError", () => {
    expect(() => userStack({ lambdas: [] })).toThrow(FabricConfigError);
    expect(() => userStack({ maxConcurrency: 1 })).toThrow(FabricConfigError);
    expect(() => userStack({ batchSize: 11 })).toThrow(FabricConfigError);
    expect(() => userStack({ prefix: "bad prefix" })).toThrow(FabricConfigError);
  });
});
