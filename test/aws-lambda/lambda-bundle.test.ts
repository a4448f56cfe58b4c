import { describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bundleProject } from "../../cli/bundle.ts";
import { CliError } from "../../cli/errors.ts";
import { scaffoldProject } from "../../cli/scaffold.ts";
import { ENV } from "../../runtime/adapters/aws/config.ts";
import { createAwsPorts } from "../../runtime/adapters/aws/create-aws-ports.ts";
import { settingsToEnv } from "../../runtime/adapters/aws/settings.ts";
import { emulatorClients, freshQueues, testSettings } from "../support/aws-fabric.ts";
import { dynamoDbLocal } from "../support/dynamodb-local.ts";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from "../support/emulator-credentials.ts";
import { fauxqs } from "../support/fauxqs.ts";
import { tempDir } from "../support/temp-dir.ts";

/**
 * Runs in Node, as Lambda would: imports the bundle, invokes `handler` twice with sync invoke events,
 * then reports the results and the timers still pending (a frozen container must have none).
 */
const RUNNER = `
const { handler } = await import(process.argv[2]);
const deadline = Date.now() + 30000;
const context = { awsRequestId: "bundle-test", functionName: "counter", getRemainingTimeInMillis: () => deadline - Date.now() };
const first = await handler({ type: "durable.invoke", actorId: process.argv[3], handler: "increment", input: { by: 2 } }, context);
const second = await handler({ type: "durable.invoke", actorId: process.argv[3], handler: "increment", input: { by: 3 } }, context);
const bad = await handler({ type: "durable.invoke", actorId: process.argv[3], handler: "increment", input: { by: 1.5 } }, context);
const pendingTimers = process.getActiveResourcesInfo().filter((r) => r === "Timeout" || r === "Immediate");
process.stdout.write("RESULT " + JSON.stringify({ first, second, bad, pendingTimers, node: process.version }) + "\\n");
process.exit(0);
`;

function runNode(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("node", args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("lambda bundle", () => {
  test("the counter template bundles into one Node ESM file with the AWS SDK inside and no bun: import, and serves a sync invoke under Node against DynamoDB Local", async () => {
    await using dir = tempDir("durable-bundle-");
    const root = join(dir.path, "counter");
    scaffoldProject("counter", root, "counter");
    const outdir = join(dir.path, "out");
    const bundle = await bundleProject({ root, actorFiles: [join(root, "actors", "counter.ts")], outdir });
    process.stderr.write(`[bundle] ${bundle.outfile}: ${(bundle.bytes / 1024).toFixed(0)} KB, esm\n`);
    expect(bundle.entryPath.startsWith(join(root, ".durable"))).toBe(true);
    const text = readFileSync(bundle.outfile, "utf8");
    expect(text).not.toMatch(/["']bun:/);
    // Only Node built-ins stay imports: the SDK came from the CLI's node_modules (the project has none).
    const imports = [...text.matchAll(/(?:^|;)\s*import\s*[\w$*{}\s,]*?\bfrom\s*["']([^"']+)["']/g)].map(
      (m) => m[1],
    );
    const requires = [...text.matchAll(/__require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
    const specifiers = [...imports, ...requires];
    expect(imports.length).toBeGreaterThan(0);
    for (const s of specifiers) expect(s).toMatch(/^node:/);
    expect(text).toContain("DynamoDBClient");

    const [ddb, sqs] = await Promise.all([dynamoDbLocal(), fauxqs()]);
    process.stderr.write(
      `[emulators] DynamoDB Local at ${ddb.endpoint} (${ddb.startupMs} ms to start), fauxqs ${sqs.mode} at ${sqs.endpoint}\n`,
    );
    const settings = await testSettings(await freshQueues("bundle"));
    const actorId = `counter-${randomUUID().slice(0, 8)}`;
    const runner = join(dir.path, "runner.mjs");
    writeFileSync(runner, RUNNER);
    const run = await runNode([runner, bundle.outfile, actorId], {
      PATH: process.env.PATH ?? "",
      ...settingsToEnv(settings),
      [ENV.prefix]: "counter-test",
      AWS_REGION: EMULATOR_REGION,
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_LAMBDA_FUNCTION_NAME: "counter-test",
    });
    const line = run.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    if (!line)
      throw new Error(`the bundle did not run under Node (exit ${run.code}):\n${run.stderr}\n${run.stdout}`);
    const out = JSON.parse(line.slice("RESULT ".length)) as Record<string, unknown>;
    expect(out.node).toMatch(/^v2\d\./);
    expect(out.first).toMatchObject({
      ok: true,
      actorId,
      actorType: "counter",
      result: { count: 2 },
      version: 1,
    });
    expect(out.second).toMatchObject({ ok: true, result: { count: 5 }, version: 2 });
    expect(out.bad).toMatchObject({
      ok: false,
      error: { code: "HANDLER_FAILED", message: "by must be an integer, got 1.5" },
    });
    expect(out.pendingTimers).toEqual([]);
    // One bare JSON line per turn on stdout (the refused increment changed nothing), plus EMF lines.
    const json = run.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(json.filter((l) => l.type === "turn").map((l) => l.outcome)).toEqual([
      "committed",
      "committed",
      "unchanged",
    ]);
    expect(json.filter((l) => typeof l._aws === "object" && l.ActorType === "counter")).toHaveLength(3);

    const { dynamodb } = await emulatorClients();
    const stored = await createAwsPorts({ settings, clients: { dynamodb } }).store.read(actorId);
    expect(stored).toMatchObject({ actorType: "counter", version: 2, state: { count: 5, resets: 0 } });
  }, 120_000);

  test("bundling fails clearly, naming the importer, when actor code imports a bun: module", async () => {
    await using dir = tempDir("durable-bundle-bun-");
    const root = join(dir.path, "app");
    scaffoldProject("counter", root, "app");
    const actorFile = join(root, "actors", "cache.ts");
    writeFileSync(
      actorFile,
      `import { Database } from "bun:sqlite";\nimport { actor } from "../durable/index.ts";\nexport const cache = actor("cache", { state: () => ({}), handlers: { get: () => new Database(":memory:").query("select 1").get() as null } });\n`,
    );
    const error = await bundleProject({ root, actorFiles: [actorFile], outdir: join(dir.path, "out") }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ code: "BUNDLE_BUN_IMPORT" });
    expect((error as CliError).message).toContain("bun:sqlite (imported by actors/cache.ts)");
    expect(existsSync(join(dir.path, "out", "index.mjs"))).toBe(false);
  }, 60_000);

  test("a syntax error in an actor file fails the bundle with BUNDLE_FAILED and the file's name", async () => {
    await using dir = tempDir("durable-bundle-syntax-");
    const root = join(dir.path, "app");
    scaffoldProject("counter", root, "app");
    const actorFile = join(root, "actors", "broken.ts");
    writeFileSync(actorFile, 'export const broken = actor("broken", {;\n');
    const error = await bundleProject({ root, actorFiles: [actorFile], outdir: join(dir.path, "out") }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "BUNDLE_FAILED" });
    expect((error as CliError).message).toContain("broken.ts");
  }, 60_000);
});
