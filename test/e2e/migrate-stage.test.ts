/**
 * `durable migrate --stage` end to end on emulators: DynamoDB Local for the tables, fauxqs for the
 * queues and the large-state bucket (S3), and the stage's function as a real `durable build` bundle
 * under Node answering Lambda's Invoke API (moto creates functions but cannot run them; see
 * test/support/lambda-runner.mjs). 1,000 actors written by schema-1 code (three with states too
 * large for an item, in S3; a hundred without a schema attribute, as records written before
 * schemas existed are), then code with schema 2 is "deployed" and migrated through the CLI,
 * which is interrupted with SIGINT midway and resumed: every actor is migrated exactly once.
 */
import { expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  ScanCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { bundleProject } from "../../cli/bundle.ts";
import { mapLimit } from "../../cli/migrate/target.ts";
import { scaffoldProject } from "../../cli/scaffold.ts";
import type { StageOutputs } from "../../cli/stage-target.ts";
import { createAwsPorts } from "../../runtime/adapters/aws/create-aws-ports.ts";
import { createFabricResources } from "../../runtime/adapters/aws/fabric-resources.ts";
import { settingsToEnv } from "../../runtime/adapters/aws/settings.ts";
import { encodeCommit } from "../../runtime/adapters/aws/state-items.ts";
import { Fabric } from "../../runtime/core/fabric.ts";
import { incompressible } from "../contract/large-state.contract.ts";
import { emulatorClients, uniquePrefix } from "../support/aws-fabric.ts";
import { DURABLE_BIN, userEnv } from "../support/cli-process.ts";
import { dynamoDbLocal } from "../support/dynamodb-local.ts";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from "../support/emulator-credentials.ts";
import { fauxqs } from "../support/fauxqs.ts";
import { startLambdaStage } from "../support/lambda-stage.ts";
import { tempDir } from "../support/temp-dir.ts";

const SMALL = 997;
const LARGE = 3;
const TOTAL = SMALL + LARGE;

const V1 = `import { actor } from "../durable/index.ts";
export const counter = actor("counter", {
  state: () => ({ count: 0, note: "" }),
  handlers: {
    increment(ctx, input: { by: number }) {
      ctx.state.count += input.by;
    },
    note(ctx, input: { text: string }) {
      ctx.state.note = input.text;
    },
  },
});
`;

const V2 = `import { actor } from "../durable/index.ts";
type V1 = { count: number; note: string };
export const counter = actor("counter", {
  state: () => ({ count: 0, note: "", label: "" }),
  schema: 2,
  migrate: { 2: (old: V1) => ({ ...old, label: \`counter at \${old.count}\` }) },
  handlers: {
    get: (ctx) => ctx.state,
  },
});
`;

interface Line {
  type?: string;
  phase?: string;
  done?: number;
  [key: string]: unknown;
}

/** `durable migrate --stage e2e --json`, optionally sending SIGINT once `interruptAt` actors are done. */
function migrate(cwd: string, env: Record<string, string>, interruptAt?: number) {
  return new Promise<{ code: number | null; lines: Line[]; stderr: string }>((resolve, reject) => {
    const child = spawn(DURABLE_BIN, ["migrate", "--stage", "e2e", "--json", "--rate", "100000"], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: Line[] = [];
    let buffered = "";
    let stderr = "";
    let interrupted = false;
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const text = buffered.slice(0, nl);
        let line: Line;
        try {
          line = JSON.parse(text) as Line;
        } catch {
          throw new Error(`durable migrate --json printed a line that is not JSON: ${text}`);
        }
        buffered = buffered.slice(nl + 1);
        lines.push(line);
        const done = line.phase === "migrate" ? (line.done ?? 0) : 0;
        if (interruptAt !== undefined && !interrupted && done >= interruptAt) {
          interrupted = true;
          child.kill("SIGINT");
        }
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, lines, stderr }));
  });
}

test("1,000 actors written in schema 1 are migrated to schema 2 by durable migrate --stage; interrupted and resumed, none is migrated twice", async () => {
  await using dir = tempDir("durable-migrate-stage-");
  const root = join(dir.path, "counter");
  scaffoldProject("counter", root, "counter");
  writeFileSync(join(root, "actors", "counter.ts"), V1);

  const [ddb, sqs] = await Promise.all([dynamoDbLocal(), fauxqs()]);
  const clients = await emulatorClients();
  const resources = await createFabricResources({
    ...clients,
    prefix: uniquePrefix("migrate"),
    delayQueue: false,
  });
  try {
    // Schema-1 records, written by the project's own schema-1 actor through the aws adapter.
    const { counter } = await import(join(root, "actors", "counter.ts"));
    const seed = new Fabric({
      ports: createAwsPorts({ settings: resources.settings, clients }),
      actors: [counter],
      owner: "seed",
    });
    const ids = Array.from({ length: TOTAL }, (_, i) => `counter-${String(i).padStart(4, "0")}`);
    // Random base64 gzips to about 75%: 800 KB stays over DynamoDB's 400 KB item, so these go to S3.
    const big = incompressible(800 * 1024);
    await mapLimit(ids.slice(0, LARGE), LARGE, (actorId: string) =>
      seed.invoke({ actorId, handler: "note", input: { text: big } }),
    );
    // The rest in the very items a schema-1 commit writes (the adapter's own encoding), put 25 at a
    // time: a thousand turns would cost DynamoDB Local seconds this test does not need to spend.
    const lease = { actorId: "", owner: "seed", epoch: 1, expiresAt: 0 };
    const items = await Promise.all(
      ids.slice(LARGE).map(async (actorId) => {
        const commit = {
          lease: { ...lease, actorId },
          actorType: "counter",
          expectedVersion: 0,
          version: 1,
          state: { count: 7, note: "" },
          timers: {},
          parked: null,
          outbox: [],
          markers: [],
          waiting: null,
          hold: [],
          drained: [],
          release: true,
          now: Date.now(),
          schema: 1,
        };
        const encoded = await encodeCommit(commit, {
          compressAboveBytes: 32 * 1024,
          maxStateBytes: 400 * 1024,
          markerTtlMs: 0,
        });
        return encoded.state;
      }),
    );
    for (let i = 0; i < items.length; i += 25) {
      await clients.dynamodb.send(
        new BatchWriteItemCommand({
          RequestItems: {
            [resources.settings.stateTable]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
          },
        }),
      );
    }

    // A tenth of them as a release before schemas wrote them: no schema attribute (read as 1).
    await mapLimit(ids.slice(LARGE, LARGE + 100), 16, (actorId: string) =>
      clients.dynamodb.send(
        new UpdateItemCommand({
          TableName: resources.settings.stateTable,
          Key: { pk: { S: actorId }, sk: { S: "state" } },
          UpdateExpression: "REMOVE #schema",
          ExpressionAttributeNames: { "#schema": "schema" },
        }),
      ),
    );

    // "Deploy" schema 2: the bundle durable build makes, run by the stage's function.
    writeFileSync(join(root, "actors", "counter.ts"), V2);
    const bundle = await bundleProject({
      root,
      actorFiles: [join(root, "actors", "counter.ts")],
      outdir: join(root, ".durable", "build", "function"),
    });
    const credentials = {
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
      AWS_REGION: EMULATOR_REGION,
    };
    const stage = await startLambdaStage({
      bundle: bundle.outfile,
      env: {
        ...settingsToEnv(resources.settings),
        ...credentials,
        AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
        AWS_ENDPOINT_URL_SQS: sqs.endpoint,
        AWS_ENDPOINT_URL_S3: sqs.endpoint,
        AWS_LAMBDA_FUNCTION_NAME: "counter-e2e-handler",
      },
      upstreams: { dynamodb: ddb.endpoint, sqs: sqs.endpoint, s3: sqs.endpoint },
    });
    try {
      const { settings } = resources;
      const outputs: StageOutputs = {
        stage: "e2e",
        stackName: "counter-e2e",
        region: EMULATOR_REGION,
        stateTable: settings.stateTable,
        locksTable: settings.locksTable,
        workflowsTable: settings.workflowsTable,
        stateBucket: settings.stateBucket ?? "",
        queueUrl: settings.queueUrl,
        functionName: "counter-e2e-handler",
        deployedAt: new Date().toISOString(),
        endpoint: stage.endpoint,
      };
      mkdirSync(join(root, ".durable", "stages"), { recursive: true });
      writeFileSync(join(root, ".durable", "stages", "e2e.json"), JSON.stringify(outputs));
      const env = userEnv({ ...credentials, AWS_ENDPOINT_URL: undefined });

      const migratedByFunction = () =>
        stage
          .logs()
          .filter((l) => l.message === "migrate")
          .reduce((sum, l) => sum + Number(l.migrated ?? 0), 0);
      const first = await migrate(root, env, 300);
      const migratedAfterFirst = migratedByFunction();
      expect(first.code).toBe(1);
      // With --json the interruption is the last JSON line on stdout, as every error is.
      const stopped = (first.lines.at(-1) as { error?: { code: string; message: string; hint?: string } })
        .error;
      expect(stopped).toMatchObject({ code: "MIGRATE_INTERRUPTED" });
      expect(stopped?.message).toContain("migration interrupted after");
      expect(stopped?.hint).toContain("run the same durable migrate again");
      expect(first.lines.find((l) => l.type === "plan")?.summary).toMatch(/^a Scan of .+ read units/);
      const progress = first.lines.filter((l) => l.phase === "migrate");
      expect(progress.at(-1)).toMatchObject({ total: TOTAL, ratePerSecond: expect.any(Number) });
      expect(first.lines.some((l) => l.type === "done")).toBe(false);

      const second = await migrate(root, env);
      expect(second.stderr).toBe("");
      expect(second.code).toBe(0);
      const resumed = second.lines.find((l) => l.type === "resume");
      expect(resumed?.done).toBeGreaterThanOrEqual(300);
      const done = second.lines.find((l) => l.type === "done");
      expect(done).toMatchObject({ resumed: true, behind: TOTAL, failed: 0, errors: 0, current: 0 });

      // Exactly one migration per actor across both runs, as the function itself counted them: the
      // first run's answered batches, then the rest.
      expect(migratedByFunction()).toBe(TOTAL);
      expect(migratedAfterFirst).toBe(Number(resumed?.done));
      expect(done?.migrated).toBe(TOTAL);

      const items = await scanStateItems(clients.dynamodb, settings.stateTable);
      expect(items).toHaveLength(TOTAL);
      expect(items.filter((i) => i.schema === 2 && i.version === 2)).toHaveLength(TOTAL);

      const again = await migrate(root, env);
      expect(again.lines.find((l) => l.type === "done")).toMatchObject({ behind: 0, migrated: 0 });

      // A large state was migrated through S3: one object per actor, the schema-1 one deleted.
      const keys = await clients.s3.send(
        new ListObjectsV2Command({ Bucket: settings.stateBucket, Prefix: "state/" }),
      );
      const objects = (keys.Contents ?? []).map((o) => o.Key ?? "");

      expect(objects).toHaveLength(LARGE);
      for (const key of objects) expect(key).toMatch(/^state\/counter-000\d\/2-/);
    } finally {
      await stage.stop();
    }
  } finally {
    await resources.destroy();
  }
}, 120_000);

async function scanStateItems(
  dynamodb: DynamoDBClient,
  table: string,
): Promise<{ version: number; schema: number }[]> {
  const items: { version: number; schema: number }[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamodb.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: "sk = :state",
        ExpressionAttributeValues: { ":state": { S: "state" } },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? [])
      items.push({ version: Number(item.version?.N), schema: Number(item.schema?.N ?? 1) });
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}
