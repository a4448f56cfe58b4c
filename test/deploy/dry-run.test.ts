import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bareEnv, type CounterProject, counterProject, runBin, runInProcess } from "./fixtures.ts";

let project: CounterProject;
beforeAll(async () => {
  project = await counterProject();
});
afterAll(async () => {
  await project[Symbol.asyncDispose]();
});

const FABRIC_TYPES = [
  "AWS::DynamoDB::Table",
  "AWS::SQS::Queue",
  "AWS::Lambda::Function",
  "AWS::Events::EventBus",
];

function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.startsWith("error:"));
}

describe("durable deploy --dry-run", () => {
  test("lists the fabric's resources by type and logical id on a machine with no AWS configuration at all", async () => {
    // A child process with PATH and an empty HOME only: no AWS_* variable and no ~/.aws exist.
    const run = await runBin(["deploy", "--dry-run"], { cwd: project.root, env: bareEnv(project.home) });
    expect(run.stderr).not.toContain("error");
    expect(run.exitCode).toBe(0);
    const lines = run.stdout.trim().split("\n");
    for (const type of FABRIC_TYPES) expect(lines.some((line) => line.startsWith(`${type} `))).toBe(true);
    // Every line is "<type>  <logical id>".
    for (const line of lines) expect(line).toMatch(/^AWS::\S+\s+\S+$/);
    expect(run.stderr).toContain("synthesized counter-dev");
    expect(existsSync(join(project.root, ".durable", "stages", "dev.json"))).toBe(false);
  });

  test("--json gives the stage, the stack name, the resources and the synth time, with dev stage data destroyed", async () => {
    const run = await runInProcess(["deploy", "--dry-run", "--stage", "pr-7", "--json"], {
      cwd: project.root,
      env: bareEnv(project.home),
    });
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout) as {
      dryRun: boolean;
      stackName: string;
      devStage: boolean;
      resources: { type: string; logicalId: string }[];
      timings: { synthMs: number; buildMs: number };
    };
    expect(result).toMatchObject({ dryRun: true, stackName: "counter-pr-7", devStage: true });
    for (const type of FABRIC_TYPES) expect(result.resources.some((r) => r.type === type)).toBe(true);
    console.info(`deploy --dry-run: bundle ${result.timings.buildMs} ms, synth ${result.timings.synthMs} ms`);
    expect(result.timings.synthMs).toBeLessThan(5000);
  });

  test("a stage name that is not lowercase letters, digits and - is refused in one line", async () => {
    const run = await runInProcess(["deploy", "--dry-run", "--stage", "Prod_1"], {
      cwd: project.root,
      env: bareEnv(project.home),
    });
    expect(run.exitCode).toBe(1);
    expect(errorLines(run.stderr)).toEqual([expect.stringContaining('invalid stage name "Prod_1"')]);
  });
});

describe("durable deploy without credentials", () => {
  test("exits 1 with one line saying what to set (AWS_PROFILE or the access keys, AWS_REGION) and pointing to durable dev", async () => {
    const run = await runInProcess(["deploy", "--stage", "test", "--yes"], {
      cwd: project.root,
      env: bareEnv(project.home),
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toBe("");
    const lines = run.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toStartWith("error: no AWS credentials found");
    for (const name of [
      "AWS_PROFILE",
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_REGION",
      "durable dev",
    ])
      expect(lines[0]).toContain(name);
  });

  test("keys without a region exit 1 with one line naming AWS_REGION", async () => {
    const env = { ...bareEnv(project.home), AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "y" };
    const run = await runInProcess(["destroy", "--stage", "test", "--yes"], { cwd: project.root, env });
    expect(run.exitCode).toBe(1);
    expect(errorLines(run.stderr)).toEqual([
      expect.stringMatching(/^error: no AWS region set .*AWS_REGION.*durable dev/),
    ]);
  });
});

describe("durable build", () => {
  test("bundles into .durable/build/function and prints the bundle's size and gzipped size", async () => {
    const run = await runInProcess(["build"], { cwd: project.root, env: bareEnv(project.home) });
    expect(run.exitCode).toBe(0);
    expect(run.stdout.trim()).toMatch(
      /^\.durable\/build\/function\/index\.mjs {2}[\d.]+ (KB|MB) \([\d.]+ (KB|MB) gzipped\)$/,
    );
    const json = await runInProcess(["build", "--json"], { cwd: project.root, env: bareEnv(project.home) });
    const result = JSON.parse(json.stdout) as { outfile: string; bytes: number; gzipBytes: number };
    expect(result.outfile).toBe(join(project.root, ".durable", "build", "function", "index.mjs"));
    expect(result.gzipBytes).toBeGreaterThan(0);
    expect(result.gzipBytes).toBeLessThan(result.bytes);
  });

  test("an actor that imports a bun: module fails the build with one line naming the module (exit 1)", async () => {
    const bad = join(project.root, "actors", "uses-sqlite.ts");
    writeFileSync(bad, 'import { Database } from "bun:sqlite";\nexport const db = Database;\n');
    try {
      const run = await runInProcess(["build"], { cwd: project.root, env: bareEnv(project.home) });
      expect(run.exitCode).toBe(1);
      expect(errorLines(run.stderr)).toEqual([expect.stringContaining("bun:sqlite")]);
      expect(run.stderr).not.toContain("internal error");
    } finally {
      rmSync(bad);
    }
  });
});
