/**
 * `durable deploy`, `--stage` reads and writes, and `durable destroy` end to end on moto_server:
 * the real CLI (node bin/durable.js) in a freshly generated counter project, deploying through
 * toolkit-lib to moto's CloudFormation. moto creates the Lambda function but cannot run it, so the
 * sync invoke path is covered in stage-target.test.ts and by the handler's own tests.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, ListTargetsByRuleCommand } from "@aws-sdk/client-eventbridge";
import { GetFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { StageOutputs } from "../../cli/stage-target.ts";
import { DynamoActorStore } from "../../runtime/adapters/aws/dynamodb-actor-store.ts";
import { decodeMessage } from "../../runtime/adapters/aws/sqs-codec.ts";
import { type Moto, motoServer } from "../support/moto.ts";
import { bareEnv, type CounterProject, counterProject, runBin, runInProcess } from "./fixtures.ts";

/** Per test: a deploy on moto takes about 10 s on a loaded machine; bun's default is 5 s. */
const TIMEOUT_MS = 60_000;

let moto: Moto;
let project: CounterProject;
let env: Record<string, string>;

beforeAll(async () => {
  [moto, project] = await Promise.all([motoServer(), counterProject()]);
  env = {
    ...bareEnv(project.home),
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_REGION: "us-east-1",
  };
}, 60_000);
afterAll(async () => {
  await project?.[Symbol.asyncDispose]();
});

const durable = (...args: string[]) => runBin(args, { cwd: project.root, env });
const stageFile = () => join(project.root, ".durable", "stages", "test.json");

describe("durable deploy on moto", () => {
  test(
    "an unbootstrapped region is not bootstrapped without a terminal or --yes, nor when the prompt is declined",
    async () => {
      // moto keeps regions apart, and nothing bootstraps eu-north-1 in this run.
      const north = { ...env, AWS_REGION: "eu-north-1" };
      const noTty = await runInProcess(["deploy", "--stage", "test"], { cwd: project.root, env: north });
      expect(noTty.stderr).not.toContain("internal error");
      expect(noTty.exitCode).toBe(1);
      expect(noTty.stderr).toContain("error: bootstrapping aws://123456789012/eu-north-1");
      expect(noTty.stderr).toContain("pass --yes");

      const declined = await runInProcess(["deploy", "--stage", "test"], {
        cwd: project.root,
        env: north,
        confirms: [false],
      });
      expect(declined.prompts).toEqual([
        expect.stringContaining("Create the CDKToolkit stack in aws://123456789012/eu-north-1"),
      ]);
      expect(declined.exitCode).toBe(1);
      expect(declined.stderr).toContain("was not confirmed; nothing changed");
      const cfn = new CloudFormationClient({ ...moto.clientConfig(), region: "eu-north-1" });
      const lookup = await cfn
        .send(new DescribeStacksCommand({ StackName: "CDKToolkit" }))
        .catch((e: unknown) => e);
      expect(String(lookup)).toContain("does not exist");
    },
    TIMEOUT_MS,
  );

  test(
    "deploy --stage test --yes bootstraps, deploys the fabric and records the stage outputs",
    async () => {
      const started = performance.now();
      const run = await durable("deploy", "--stage", "test", "--yes");
      const wallMs = performance.now() - started;
      expect(run.stderr).not.toContain("error");
      expect(run.exitCode).toBe(0);
      expect(run.stderr).toContain("bootstrapped aws://123456789012/us-east-1");
      expect(run.stderr).toMatch(/deployed counter-test in [\d.]+ s/);
      console.info(`durable deploy --stage test on moto: ${Math.round(wallMs)} ms wall`);

      const outputs = JSON.parse(readFileSync(stageFile(), "utf8")) as StageOutputs;
      expect(outputs).toMatchObject({
        stage: "test",
        stackName: "counter-test",
        region: "us-east-1",
        stateTable: "counter-test-State",
        workflowsTable: "counter-test-Workflows",
        stateBucket: "counter-test-state-123456789012-us-east-1",
        functionName: "counter-test-handler",
        endpoint: moto.endpoint,
      });
      expect(outputs.queueUrl).toEndWith("/counter-test-actors.fifo");
      expect(outputs.queueDlqUrl).toEndWith("/counter-test-actors-dlq.fifo");
      expect(outputs.timerDlqUrl).toEndWith("/counter-test-timers-dlq");
      expect(outputs.signalDlqUrl).toEndWith("/counter-test-signals-dlq");

      const dynamodb = new DynamoDBClient(moto.clientConfig());
      for (const table of [outputs.stateTable, outputs.locksTable, outputs.workflowsTable]) {
        const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: table }));
        expect(Table?.TableStatus).toBe("ACTIVE");
      }
      const sqs = new SQSClient(moto.clientConfig());
      for (const queue of [
        "counter-test-actors.fifo",
        "counter-test-actors-dlq.fifo",
        "counter-test-timers",
        "counter-test-timers-dlq",
        "counter-test-signals-dlq",
      ]) {
        const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queue }));
        expect(QueueUrl).toEndWith(`/${queue}`);
      }
      const s3 = new S3Client({ ...moto.clientConfig(), forcePathStyle: true });
      await s3.send(new HeadBucketCommand({ Bucket: outputs.stateBucket }));
      const lambda = new LambdaClient(moto.clientConfig());
      const fn = await lambda.send(new GetFunctionCommand({ FunctionName: outputs.functionName }));
      expect(fn.Configuration).toMatchObject({
        Runtime: "nodejs22.x",
        Handler: "index.handler",
        MemorySize: 512,
        Timeout: 30,
      });
      expect(fn.Configuration?.Environment?.Variables?.DURABLE_STATE_BUCKET).toBe(outputs.stateBucket);
      // moto's CloudFormation drops a function's DeadLetterConfig (the template test asserts it);
      // the rule target's retry policy and DLQ it does create.
      const events = new EventBridgeClient(moto.clientConfig());
      const { Targets } = await events.send(
        new ListTargetsByRuleCommand({
          Rule: "counter-test-actor-signals",
          EventBusName: "counter-test-signals",
        }),
      );
      expect(Targets?.[0]).toMatchObject({
        DeadLetterConfig: { Arn: expect.stringMatching(/:counter-test-signals-dlq$/) },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 },
      });
    },
    TIMEOUT_MS,
  );

  test(
    "state get --stage on an actor without state exits 1 with 'has no state yet', as on the local fabric",
    async () => {
      const run = await durable("state", "get", "counter-1", "--stage", "test");
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toContain("→ stage test (counter-test, us-east-1");
      expect(run.stderr).toContain("error: counter-1 has no state yet");
    },
    TIMEOUT_MS,
  );

  test(
    "state get --stage reads back, consistently, a state item the aws adapter's store committed",
    async () => {
      const store = new DynamoActorStore({
        client: new DynamoDBClient(moto.clientConfig()),
        stateTable: "counter-test-State",
      });
      const now = Date.now();
      const lease = await store.acquireLease("counter-1", "e2e-writer", 10_000, now);
      await store.commit({
        lease,
        actorType: "counter",
        expectedVersion: 0,
        version: 1,
        state: { count: 5, resets: 0 },
        timers: {},
        parked: null,
        outbox: [],
        markers: [],
        waiting: null,
        hold: [],
        drained: [],
        release: true,
        now,
      });
      const run = await durable("state", "get", "counter-1", "--stage", "test", "--json");
      expect(run.stderr).toBe("");
      expect(run.exitCode).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({
        actorId: "counter-1",
        actorType: "counter",
        version: 1,
        state: { count: 5, resets: 0 },
      });
    },
    TIMEOUT_MS,
  );

  test(
    "invoke --async --stage puts one message on the actor FIFO queue in the shape the function reads",
    async () => {
      const run = await durable(
        "invoke",
        "counter-1",
        "--async",
        "--stage",
        "test",
        "--data",
        '{"by":3}',
        "--json",
      );
      expect(run.stderr).toBe("");
      expect(run.exitCode).toBe(0);
      const response = JSON.parse(run.stdout) as {
        messageId: string;
        handler: string;
        queued: boolean;
        target: string;
      };
      expect(response).toMatchObject({ target: "stage", handler: "increment", queued: true });

      const outputs = JSON.parse(readFileSync(stageFile(), "utf8")) as StageOutputs;
      const sqs = new SQSClient(moto.clientConfig());
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: outputs.queueUrl,
          MaxNumberOfMessages: 10,
          MessageSystemAttributeNames: ["MessageGroupId"],
        }),
      );
      expect(Messages).toHaveLength(1);
      expect(Messages?.[0]?.Attributes?.MessageGroupId).toBe("counter-1");
      expect(decodeMessage(Messages?.[0]?.Body)).toMatchObject({
        id: response.messageId,
        actorId: "counter-1",
        actorType: "counter",
        handler: "increment",
        input: { by: 3 },
        kind: "send",
      });
    },
    TIMEOUT_MS,
  );

  test(
    "bad input on a stage is refused before any request, and state list reads the deployed fleet index",
    async () => {
      const badJson = await durable("invoke", "counter-1", "--stage", "test", "--data", "{nope");
      expect(badJson.exitCode).toBe(1);
      expect(badJson.stderr).toContain("error:");
      const badType = await durable("state", "list", "--stage", "test", "--type", "Counter!");
      expect(badType.exitCode).toBe(1);
      expect(badType.stderr).toContain("is not an actor type name");
      // moto runs no function, so no turn has committed: the index is there, and empty.
      const list = await durable("state", "list", "--stage", "test", "--parked", "--json");
      expect(list.stderr).toBe("");
      expect(JSON.parse(list.stdout)).toEqual({ actors: [], next: null });
    },
    TIMEOUT_MS,
  );

  test(
    "destroy refuses another endpoint than the deploy's and needs --yes without a terminal, then removes the stack and forgets the stage",
    async () => {
      // Without the endpoint it was deployed to, destroy would name a stack in whatever account the keys reach.
      const { AWS_ENDPOINT_URL: _endpoint, ...awsItself } = env;
      const elsewhere = await runInProcess(["destroy", "--stage", "test", "--yes"], {
        cwd: project.root,
        env: awsItself,
      });
      expect(elsewhere.exitCode).toBe(1);
      expect(elsewhere.stderr).toContain(
        `error: stage test was deployed to AWS_ENDPOINT_URL=${moto.endpoint}`,
      );

      const refused = await runInProcess(["destroy", "--stage", "test"], { cwd: project.root, env });
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toContain(
        "needs confirmation and there is no terminal to ask on (pass --yes to confirm)",
      );

      const run = await durable("destroy", "--stage", "test", "--yes");
      expect(run.stderr).not.toContain("error");
      expect(run.exitCode).toBe(0);
      expect(existsSync(stageFile())).toBe(false);
      const cfn = new CloudFormationClient(moto.clientConfig());
      const lookup = await cfn.send(new DescribeStacksCommand({ StackName: "counter-test" })).then(
        (r) => r.Stacks?.[0]?.StackStatus,
        (e: unknown) => String(e),
      );
      // moto answers a deleted stack by name with either form, as AWS does for a while.
      expect(lookup === "DELETE_COMPLETE" || String(lookup).includes("does not exist")).toBe(true);

      const after = await durable("state", "get", "counter-1", "--stage", "test");
      expect(after.exitCode).toBe(1);
      expect(after.stderr).toContain('stage "test" has not been deployed from this project');
    },
    TIMEOUT_MS,
  );
});
