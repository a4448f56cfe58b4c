/**
 * Adopting what a destroyed kept stage left behind into its new stack. The plan is built from the
 * real synthesized prod template. The CloudFormation side is a mock on purpose: no emulator here
 * imports resources (moto answers an IMPORT change set with "Add"; moto-redeploy.test.ts runs that
 * refusal end to end), so a CloudFormation that answers "Import" is provoked here, as AWS answers.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
} from "@aws-sdk/client-cloudformation";
import { mockClient } from "aws-sdk-client-mock";
import {
  AdoptionRefusedError,
  executeAdoption,
  planAdoption,
  prepareAdoption,
} from "../../cli/deploy/adopt.ts";
import { type FoundResource, keptResourcesOf } from "../../cli/deploy/kept-resources.ts";
import { type CfnTemplate, synthFabricApp } from "../../infra/app.ts";
import { fabricFixture } from "../infra/fixtures.ts";

const cfn = mockClient(CloudFormationClient);
afterEach(() => cfn.reset());
afterAll(() => cfn.restore());

const WHERE = { account: "123456789012", region: "eu-west-1" };

function prodTemplate(): CfnTemplate {
  using fixture = fabricFixture();
  return synthFabricApp({
    prefix: "counter",
    stage: "prod",
    codeDir: fixture.codeDir,
    outdir: fixture.outdir,
    alarms: "ops@example.com",
    // As durable deploy synthesizes it: pinned, so the bucket's name is a literal to match.
    ...WHERE,
  }).template;
}

/** Every kept resource, as findKeptResources reports them when all exist. */
function allFound(): FoundResource[] {
  return keptResourcesOf("counter-prod", WHERE).map((r) => ({
    ...r,
    identifier: r.kind === "queue" ? `https://sqs.eu-west-1.amazonaws.com/123456789012/${r.name}` : r.name,
  }));
}

const template = prodTemplate();

describe("what a kept stage keeps", () => {
  test("the names destroy and deploy look for are exactly the stack's Retain resources (a drift between the two would orphan data)", () => {
    const retained = Object.values(template.Resources)
      .filter((r) => r.DeletionPolicy === "Retain")
      .map((r) => `${r.Type} ${JSON.stringify(r.Properties)}`);
    const byName = keptResourcesOf("counter-prod", WHERE);
    expect(byName).toHaveLength(retained.length);
    for (const kept of byName) {
      expect(
        retained.some((r) => r.startsWith(kept.type) && r.includes(`"${kept.nameProperty}":"${kept.name}"`)),
      ).toBe(true);
    }
  });
});

describe("planAdoption", () => {
  test("the import template holds the kept resources alone (nothing to create, no outputs), each matched by type and name", () => {
    const plan = planAdoption(template, allFound());
    if (typeof plan === "string") throw new Error(plan);
    expect(plan.adoptees).toHaveLength(12);
    expect(Object.keys(plan.template).sort()).toEqual(["Description", "Resources"]);
    expect(Object.keys(plan.template.Resources).sort()).toEqual(plan.adoptees.map((a) => a.logicalId).sort());
    for (const adoptee of plan.adoptees) {
      const resource = plan.template.Resources[adoptee.logicalId];
      expect(resource?.Type).toBe(adoptee.type);
      expect(resource?.Properties?.[adoptee.nameProperty]).toBe(adoptee.name);
      expect(resource?.DeletionPolicy).toBe("Retain");
      expect(resource?.DependsOn).toBeUndefined();
    }
  });

  test("an adopted resource that refers to one that is gone cannot be imported alone: a reason, not a plan", () => {
    const withoutDlq = allFound().filter((r) => r.name !== "counter-prod-actors-dlq.fifo");
    const plan = planAdoption(template, withoutDlq);
    expect(plan).toBeString();
    expect(plan as string).toMatch(
      /^DurableFabricQueuesActorQueue\w+ refers to DurableFabricQueuesActorDlq\w+/,
    );
  });
});

function importAnswer(plan: Exclude<ReturnType<typeof planAdoption>, string>, action: string) {
  return {
    Status: "CREATE_COMPLETE" as const,
    Changes: plan.adoptees.map((a) => ({
      Type: "Resource" as const,
      ResourceChange: { Action: action as "Import", LogicalResourceId: a.logicalId, ResourceType: a.type },
    })),
  };
}

describe("adopting on CloudFormation", () => {
  const plan = planAdoption(template, allFound());
  if (typeof plan === "string") throw new Error(plan);
  const options = {
    cfn: new CloudFormationClient({ region: "eu-west-1" }),
    stackName: "counter-prod",
    plan,
    pollMs: 1,
  };

  test("an IMPORT change set names every kept resource by its import identifier (a queue by its URL), then runs to IMPORT_COMPLETE", async () => {
    cfn.on(CreateChangeSetCommand).resolves({ Id: "cs-1" });
    cfn
      .on(DescribeChangeSetCommand)
      .resolvesOnce({ Status: "CREATE_IN_PROGRESS" })
      .resolves(importAnswer(plan, "Import"));
    cfn.on(ExecuteChangeSetCommand).resolves({});
    cfn
      .on(DescribeStacksCommand)
      .resolvesOnce({
        Stacks: [{ StackName: "counter-prod", StackStatus: "IMPORT_IN_PROGRESS", CreationTime: new Date() }],
      })
      .resolves({
        Stacks: [{ StackName: "counter-prod", StackStatus: "IMPORT_COMPLETE", CreationTime: new Date() }],
      });

    const changeSet = await prepareAdoption(options);
    await executeAdoption(options, changeSet);

    const input = cfn.commandCalls(CreateChangeSetCommand)[0]?.args[0].input;
    expect(input?.ChangeSetType).toBe("IMPORT");
    expect(input?.Capabilities).toContain("CAPABILITY_NAMED_IAM");
    expect(JSON.parse(input?.TemplateBody ?? "{}")).toEqual(plan.template);
    const identifiers = Object.fromEntries(
      (input?.ResourcesToImport ?? []).map((r) => [
        r.ResourceType + " " + Object.keys(r.ResourceIdentifier ?? {})[0],
        0,
      ]),
    );
    expect(Object.keys(identifiers).sort()).toEqual([
      "AWS::DynamoDB::Table TableName",
      "AWS::IAM::Role RoleName",
      "AWS::Logs::LogGroup LogGroupName",
      "AWS::S3::Bucket BucketName",
      "AWS::SQS::Queue QueueUrl",
      "AWS::Scheduler::ScheduleGroup Name",
    ]);
    expect(input?.ResourcesToImport).toContainEqual({
      ResourceType: "AWS::SQS::Queue",
      LogicalResourceId: expect.stringMatching(/^DurableFabricQueuesActorQueue/),
      ResourceIdentifier: {
        QueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/counter-prod-actors.fifo",
      },
    });
    expect(cfn.commandCalls(ExecuteChangeSetCommand)[0]?.args[0].input).toEqual({
      ChangeSetName: "cs-1",
      StackName: "counter-prod",
    });
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });

  test("a change set that would create instead of import is refused before execution, and its empty stack removed", async () => {
    cfn.on(CreateChangeSetCommand).resolves({ Id: "cs-2" });
    cfn.on(DescribeChangeSetCommand).resolves(importAnswer(plan, "Add"));
    cfn.on(DeleteStackCommand).resolves({});
    const failure = await prepareAdoption(options).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AdoptionRefusedError);
    expect((failure as Error).message).toContain("would create 12 of them anew");
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0);
    expect(cfn.commandCalls(DeleteStackCommand)[0]?.args[0].input).toEqual({ StackName: "counter-prod" });
  });

  test("an import CloudFormation rejects is refused with its reason, nothing executed", async () => {
    cfn.on(CreateChangeSetCommand).resolves({ Id: "cs-3" });
    cfn.on(DescribeChangeSetCommand).resolves({
      Status: "FAILED",
      StatusReason: "Resource counter-prod-State already belongs to stack other-stack",
    });
    cfn.on(DeleteStackCommand).resolves({});
    const failure = await prepareAdoption(options).catch((e: unknown) => e);
    expect((failure as Error).message).toBe(
      "CloudFormation refused the import: Resource counter-prod-State already belongs to stack other-stack",
    );
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0);
  });

  test("an import that rolls back is an error naming the final status", async () => {
    cfn.on(ExecuteChangeSetCommand).resolves({});
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: "counter-prod",
          StackStatus: "IMPORT_ROLLBACK_COMPLETE",
          StackStatusReason: "Access denied",
          CreationTime: new Date(),
        },
      ],
    });
    const failure = await executeAdoption(options, "cs-4").catch((e: unknown) => e);
    expect((failure as Error).message).toBe("the import ended in IMPORT_ROLLBACK_COMPLETE: Access denied");
  });
});
