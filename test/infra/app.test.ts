import { describe, expect, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Match } from "aws-cdk-lib/assertions";
import { buildFabricApp, synthFabricApp } from "../../infra/app.ts";
import { FabricConfigError, MissingBundleError } from "../../infra/errors.ts";
import { fabricFixture, synthTemplate } from "./fixtures.ts";

const DATA_TYPES = [
  "AWS::DynamoDB::Table",
  "AWS::SQS::Queue",
  "AWS::Scheduler::ScheduleGroup",
  "AWS::Logs::LogGroup",
];

describe("buildFabricApp", () => {
  test("names the stack <prefix>-<stage> and runs index.handler on nodejs22.x with the given memory and timeout", () => {
    using fixture = fabricFixture();
    const { stack, stackName } = buildFabricApp({
      prefix: "MyApp",
      stage: "prod",
      codeDir: fixture.codeDir,
      outdir: fixture.outdir,
      memoryMb: 1024,
      timeoutSeconds: 20,
    });
    expect(stackName).toBe("MyApp-prod");
    expect(stack.stackName).toBe("MyApp-prod");
    const { template } = synthTemplate(fixture, { stage: "prod", memoryMb: 1024, timeoutSeconds: 20 });
    template.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "MyApp-prod-handler",
      Runtime: "nodejs22.x",
      Handler: "index.handler",
      MemorySize: 1024,
      Timeout: 20,
    });
    template.hasResourceProperties("AWS::SQS::Queue", {
      QueueName: "MyApp-prod-actors.fifo",
      VisibilityTimeout: 120,
    });
  });

  test("a dev stage destroys tables, queues, the schedule group and logs with the stack", () => {
    using fixture = fabricFixture();
    const { template } = synthTemplate(fixture, { devStage: true });
    for (const type of DATA_TYPES) {
      const resources = Object.values(template.findResources(type));
      expect(resources.length).toBeGreaterThan(0);
      for (const resource of resources) expect([type, resource.DeletionPolicy]).toEqual([type, "Delete"]);
    }
  });

  test("a non-dev stage retains tables, queues, the schedule group and logs (the default)", () => {
    using fixture = fabricFixture();
    const { template } = synthTemplate(fixture, { stage: "prod" });
    for (const type of DATA_TYPES) {
      for (const resource of Object.values(template.findResources(type))) {
        expect([type, resource.DeletionPolicy, resource.UpdateReplacePolicy]).toEqual([
          type,
          "Retain",
          "Retain",
        ]);
      }
    }
  });

  test("X-Ray tracing is off unless asked for; with tracing the function is Active and may write traces", () => {
    using fixture = fabricFixture();
    const { template: plain } = synthTemplate(fixture, { stage: "prod" });
    plain.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "MyApp-prod-handler",
      TracingConfig: Match.absent(),
    });
    using traced = fabricFixture();
    const { template } = synthTemplate(traced, { stage: "prod", tracing: true });
    template.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "MyApp-prod-handler",
      TracingConfig: { Mode: "Active" },
    });
    expect(JSON.stringify(template.findResources("AWS::IAM::Policy"))).toContain("xray:PutTraceSegments");
  });

  test("the stack is environment-agnostic unless an account and region are given, so synth needs no credentials", () => {
    using fixture = fabricFixture();
    const agnostic = buildFabricApp({ prefix: "MyApp", stage: "dev", codeDir: fixture.codeDir });
    expect(agnostic.stack.environment).toBe("aws://unknown-account/unknown-region");
    const pinned = buildFabricApp({
      prefix: "MyApp",
      stage: "dev",
      codeDir: fixture.codeDir,
      account: "123456789012",
      region: "eu-west-1",
    });
    expect(pinned.stack.environment).toBe("aws://123456789012/eu-west-1");
  });

  test("a missing bundle fails early with MissingBundleError telling the user to run durable build", () => {
    using fixture = fabricFixture();
    rmSync(join(fixture.codeDir, "index.js"));
    const build = () => buildFabricApp({ prefix: "MyApp", stage: "dev", codeDir: fixture.codeDir });
    expect(build).toThrow(MissingBundleError);
    expect(build).toThrow(/durable build|index\.js/);
  });

  test("an invalid stage or prefix is rejected with FabricConfigError before anything is synthesized", () => {
    using fixture = fabricFixture();
    for (const [prefix, stage] of [
      ["MyApp", "dev_1"],
      ["MyApp", ""],
      ["1App", "dev"],
      ["My App", "dev"],
      ["A".repeat(60), "dev"],
    ] as const) {
      expect(() => buildFabricApp({ prefix, stage, codeDir: fixture.codeDir })).toThrow(FabricConfigError);
    }
  });
});

describe("synthFabricApp", () => {
  test("writes the assembly to the outdir and returns the template and a sorted resource list", () => {
    using fixture = fabricFixture();
    const result = synthFabricApp({
      prefix: "MyApp",
      stage: "dev",
      codeDir: fixture.codeDir,
      outdir: fixture.outdir,
    });
    expect(result.stackName).toBe("MyApp-dev");
    expect(result.outdir).toBe(fixture.outdir);
    expect(existsSync(result.templatePath)).toBe(true);
    expect(existsSync(join(fixture.outdir, "manifest.json"))).toBe(true);
    expect(result.resources).toHaveLength(Object.keys(result.template.Resources).length);
    for (const { type, logicalId } of result.resources)
      expect(result.template.Resources[logicalId]?.Type).toBe(type);
    const types = result.resources.map((r) => r.type);
    expect(types).toEqual([...types].sort());
    expect(types).toContain("AWS::Lambda::Function");
    // No CDK metadata resource: nothing reads it and it adds region conditions to the template.
    expect(types).not.toContain("AWS::CDK::Metadata");
  });

  test("synth is fast enough for an interactive --dry-run (template validation is off)", () => {
    using fixture = fabricFixture();
    const cold = synthTemplate(fixture).synthMs;
    const warm = synthTemplate(fixture, { stage: "prod" }).synthMs;
    console.info(`synthFabricApp: first ${cold.toFixed(0)} ms, second ${warm.toFixed(0)} ms`);
    expect(warm).toBeLessThan(2000);
  });
});
