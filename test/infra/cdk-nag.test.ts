/**
 * The synthesized `durable deploy` stacks pass cdk-nag's AwsSolutions and Serverless packs. cdk-nag
 * 3 packs are CDK policy-validation plugins, not Aspects: `validateScope` runs them over the
 * construct tree directly and honours `Validations.of(x).acknowledge()`. Every acknowledgment the
 * fabric makes is listed here with its construct, so a new suppression fails this test until a
 * reviewer has seen it.
 */
import { describe, expect, test } from "bun:test";
import { type PolicyValidationPluginReport, type Stack, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import { buildFabricApp, type FabricAppOptions } from "../../infra/app.ts";
import { fabricFixture } from "./fixtures.ts";

function stackFor(options: Partial<FabricAppOptions>): { stack: Stack; dispose: () => void } {
  const fixture = fabricFixture();
  const { stack } = buildFabricApp({
    prefix: "MyApp",
    stage: "dev",
    codeDir: fixture.codeDir,
    outdir: fixture.outdir,
    ...options,
  });
  return { stack, dispose: () => fixture[Symbol.dispose]() };
}

function nag(stack: Stack): PolicyValidationPluginReport[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()].map((pack) => pack.validateScope(stack));
}

/** Rule id → construct paths (relative to the stack) that acknowledge it, with their reasons. */
function acknowledgments(stack: Stack): Map<string, { path: string; reason: string }[]> {
  const found = new Map<string, { path: string; reason: string }[]>();
  for (const construct of stack.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [key, reason] of Object.entries(entry.data as Record<string, string>)) {
        const id = key.replace(/^annotation::/i, "");
        const path = construct.node.path.slice(stack.node.path.length + 1);
        found.set(id, [...(found.get(id) ?? []), { path, reason }]);
      }
    }
  }
  return found;
}

const STAGES: [string, Partial<FabricAppOptions>][] = [
  ["dev", { stage: "dev", devStage: true }],
  ["prod", { stage: "prod" }],
  [
    "prod, pinned, with tracing and email alarms",
    {
      stage: "prod",
      tracing: true,
      alarms: "ops@example.com",
      account: "123456789012",
      region: "eu-west-1",
    },
  ],
];

describe("cdk-nag", () => {
  for (const [name, options] of STAGES) {
    test(`the ${name} stack passes AwsSolutions and Serverless with no finding left`, () => {
      const { stack, dispose } = stackFor(options);
      const reports = nag(stack);
      dispose();
      const findings = reports.flatMap((r) =>
        r.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((x) => x.constructPath)}`),
      );
      expect(findings).toEqual([]);
      expect(reports.every((r) => r.success)).toBe(true);
    });
  }

  test("the packs really inspect this tree: a wildcard policy and a queue without TLS are reported", () => {
    // The negative control: acknowledgments name single findings, so new problems still surface.
    const { stack, dispose } = stackFor({ stage: "prod" });
    const role = stack.node.findChild("HandlerRole") as iam.Role;
    role.addToPolicy(new iam.PolicyStatement({ actions: ["dynamodb:GetItem"], resources: ["*"] }));
    new sqs.Queue(stack, "Plain", { encryption: sqs.QueueEncryption.SQS_MANAGED });
    const rules = nag(stack).flatMap((r) => r.violations.map((v) => v.ruleName));
    dispose();
    expect(rules).toContain("AwsSolutions-IAM5[Resource::*]");
    expect(rules).toContain("AwsSolutions-SQS4");
  });

  test("every remaining finding is acknowledged in code, on the construct it concerns, with a reason", () => {
    const { stack, dispose } = stackFor({ stage: "dev", devStage: true });
    const acks = acknowledgments(stack);
    dispose();
    const summary = Object.fromEntries(
      [...acks].map(([id, places]) => [id, places.map((p) => p.path).sort()]),
    );
    expect(summary).toEqual({
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/lambda/MyApp-dev-handler:log-stream:*]":
        ["HandlerRole"],
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/MyApp-dev-timers/*]":
        ["HandlerRole"],
      "AwsSolutions-IAM5[Resource::<DurableFabricStateBucketB37B7530.Arn>/state/*]": ["HandlerRole"],
      "AwsSolutions-S1": ["DurableFabric/StateBucket/Bucket"],
      "AwsSolutions-L1": ["Handler"],
      "Serverless-LambdaLatestVersion": ["Handler"],
      "Serverless-LambdaTracing": ["Handler"],
      "AwsSolutions-DDB3": ["DurableFabric/Tables/Locks", "DurableFabric/Tables/Workflows"],
      "Serverless-SQSRedrivePolicy": [
        "DurableFabric/Queues/ActorDlq",
        "DurableFabric/Queues/SignalDlq",
        "DurableFabric/Queues/TimerDlq",
      ],
      "Serverless-LambdaEventSourceMappingDestination": [
        "DurableFabric/ActorsSource0",
        "DurableFabric/TimersSource0",
      ],
      "Serverless-EventBusDLQ": ["DurableFabric/Sweeper/SweepRule"],
    });
    for (const places of acks.values()) {
      for (const { reason } of places) expect(reason.length).toBeGreaterThan(60);
    }
  });

  test("a kept stage acknowledges no missing point-in-time recovery; tracing and email alarms swap in their own reasons", () => {
    const { stack, dispose } = stackFor(STAGES[2]?.[1] ?? {});
    const ids = [...acknowledgments(stack).keys()].sort();
    dispose();
    expect(ids).not.toContain("AwsSolutions-DDB3");
    expect(ids).not.toContain("Serverless-LambdaTracing");
    expect(ids).toContain("AwsSolutions-IAM5[Resource::*]");
    expect(ids).toContain("AwsSolutions-SNS2");
    expect(ids).toContain("Serverless-SNSRedrivePolicy");
    // Pinned to an account and region, the ARNs in the acknowledgments are literal, as cdk-nag reports them.
    expect(ids).toContain(
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:eu-west-1:123456789012:schedule/MyApp-prod-timers/*]",
    );
  });
});
