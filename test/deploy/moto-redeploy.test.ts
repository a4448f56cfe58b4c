/**
 * A kept stage through its whole life on moto_server: deploy, destroy (the data stays), deploy
 * again. moto's CloudFormation takes IMPORT change sets but does not import: it answers with "Add"
 * for every resource and would create them anew. So on moto the redeploy takes the documented
 * refusal path (one line naming what was kept and the command that resolves it, nothing changed),
 * and the stage ends working after that command. The adoption itself (CloudFormation answering
 * "Import", then executing) is proven against the same plan in adopt.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { DynamoActorStore } from "../../runtime/adapters/aws/dynamodb-actor-store.ts";
import { type Moto, motoServer } from "../support/moto.ts";
import { bareEnv, type CounterProject, counterProject, runBin } from "./fixtures.ts";

/** Per test: a deploy on moto takes a few seconds, more on a loaded machine. */
const TIMEOUT_MS = 60_000;
const TABLES = ["counter-prod-State", "counter-prod-Locks", "counter-prod-Workflows"];

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

async function stackStatus(): Promise<string> {
  const cfn = new CloudFormationClient(moto.clientConfig());
  return cfn.send(new DescribeStacksCommand({ StackName: "counter-prod" })).then(
    (r) => r.Stacks?.[0]?.StackStatus ?? "none",
    (e: unknown) => (String(e).includes("does not exist") ? "none" : String(e)),
  );
}

function store() {
  return new DynamoActorStore({
    client: new DynamoDBClient(moto.clientConfig()),
    stateTable: "counter-prod-State",
  });
}

async function queueUrl(name: string): Promise<string | undefined> {
  const sqs = new SQSClient(moto.clientConfig());
  return sqs.send(new GetQueueUrlCommand({ QueueName: name })).then(
    (r) => r.QueueUrl,
    () => undefined,
  );
}

describe("a kept stage: deploy, destroy, deploy again on moto", () => {
  test(
    "deploy --stage prod creates the stage, and it holds data: a committed state and a queued message",
    async () => {
      const run = await durable("deploy", "--stage", "prod", "--yes");
      expect(run.stderr).not.toContain("error");
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toContain("destroy keeps its tables and queues");
      const now = Date.now();
      const actors = store();
      const lease = await actors.acquireLease("counter-1", "e2e-writer", 10_000, now);
      await actors.commit({
        lease,
        actorType: "counter",
        expectedVersion: 0,
        version: 1,
        state: { count: 41, resets: 0 },
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
      const sqs = new SQSClient(moto.clientConfig());
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: await queueUrl("counter-prod-actors-dlq.fifo"),
          MessageBody: '{"kept":true}',
          MessageGroupId: "counter-1",
          MessageDeduplicationId: "kept-1",
        }),
      );
    },
    TIMEOUT_MS,
  );

  test(
    "destroy of a kept stage deletes the stack, says what stays with its data and what a redeploy will do",
    async () => {
      const run = await durable("destroy", "--stage", "prod", "--yes");
      expect(run.exitCode).toBe(0);
      expect(await stackStatus()).toMatch(/none|DELETE_COMPLETE/);
      const warning = run.stderr.split("\n").find((line) => line.includes("stay with their data")) ?? "";
      expect(warning).toContain(`tables ${TABLES.join(", ")}`);
      expect(warning).toContain("counter-prod-actors.fifo");
      expect(warning).toContain("counter-prod-signals-dlq");
      expect(warning).toContain("log group /aws/lambda/counter-prod-handler");
      expect(warning).toContain("role counter-prod-scheduler");
      expect(warning).toContain("durable deploy --stage prod adopts them into a new stack");
      expect(warning).toContain("durable destroy --stage prod --delete-data deletes them");
      expect((await store().read("counter-1"))?.state).toEqual({ count: 41, resets: 0 });
    },
    TIMEOUT_MS,
  );

  test(
    "deploy again: moto cannot import, so it stops with one line naming the kept resources and the resolving command, and changes nothing",
    async () => {
      const run = await durable("deploy", "--stage", "prod", "--yes");
      expect(run.exitCode).toBe(1);
      const errors = run.stderr.split("\n").filter((line) => line.startsWith("error:"));
      expect(errors).toHaveLength(1);
      const line = errors[0] ?? "";
      expect(line).toContain("stage prod was destroyed but kept tables counter-prod-State");
      expect(line).toContain("does not import existing resources");
      expect(line).toContain("nothing was changed");
      expect(line).toContain("durable destroy --stage prod --delete-data");
      // Nothing changed: no stack (the refused import's empty stack was removed), the data is intact.
      expect(await stackStatus()).toMatch(/none|DELETE_COMPLETE/);
      expect((await store().read("counter-1"))?.state).toEqual({ count: 41, resets: 0 });
      const sqs = new SQSClient(moto.clientConfig());
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: await queueUrl("counter-prod-actors-dlq.fifo"),
          VisibilityTimeout: 0,
        }),
      );
      expect(Messages?.[0]?.Body).toBe('{"kept":true}');
    },
    TIMEOUT_MS,
  );

  test(
    "the resolving command deletes what was kept, and the next deploy ends with a working stage",
    async () => {
      const purge = await durable("destroy", "--stage", "prod", "--delete-data", "--yes");
      expect(purge.exitCode).toBe(0);
      expect(purge.stderr).toContain("deleted tables counter-prod-State");
      const dynamodb = new DynamoDBClient(moto.clientConfig());
      for (const table of TABLES) {
        const lookup = await dynamodb
          .send(new DescribeTableCommand({ TableName: table }))
          .catch((e: unknown) => e);
        expect(String(lookup)).toContain("ResourceNotFoundException");
      }
      expect(await queueUrl("counter-prod-actors.fifo")).toBeUndefined();

      const deploy = await durable("deploy", "--stage", "prod", "--yes");
      expect(deploy.stderr).not.toContain("error");
      expect(deploy.exitCode).toBe(0);
      expect(await stackStatus()).toMatch(/CREATE_COMPLETE|UPDATE_COMPLETE/);
      const get = await durable("state", "get", "counter-1", "--stage", "prod");
      expect(get.exitCode).toBe(1);
      expect(get.stderr).toContain("error: counter-1 has no state yet");
    },
    TIMEOUT_MS,
  );
});
