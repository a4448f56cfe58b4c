/**
 * A stage on emulators for `durable dlq --stage`: DynamoDB Local for the tables, fauxqs for the
 * actor queue, its FIFO DLQ and the standard signal DLQ. No emulator here runs a Lambda function,
 * so the stage's function is the real Lambda handler served in this process behind the stage's
 * endpoint (test/support/stage-endpoint.ts); applyQueue plays the event source mapping (receive,
 * invoke, delete what was not reported failed). The CLI runs in process (runCli) on a generated
 * project whose stage file points at that endpoint.
 */
import { expect } from "bun:test";
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { CreateQueueCommand, DeleteMessageBatchCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import type { StageOutputs } from "../../cli/stage-target.ts";
import { SIGNAL_SOURCE } from "../../runtime/adapters/aws/config.ts";
import { type AwsPorts, createAwsPorts } from "../../runtime/adapters/aws/create-aws-ports.ts";
import { createLambdaHandler } from "../../runtime/adapters/aws/lambda.ts";
import type { SqsBatchResult } from "../../runtime/adapters/aws/lambda-events.ts";
import type { AwsFabricSettings } from "../../runtime/adapters/aws/settings.ts";
import { actor } from "../../runtime/core/actor.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import { lambdaContext, receive, recordsFrom, sqsEvent } from "../aws-lambda/lambda-support.ts";
import { runInProcess } from "../deploy/fixtures.ts";
import { emulatorClients, freshQueues, testSettings, uniquePrefix } from "../support/aws-fabric.ts";
import { durable } from "../support/cli-process.ts";
import { dynamoDbLocal } from "../support/dynamodb-local.ts";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from "../support/emulator-credentials.ts";
import { fauxqs } from "../support/fauxqs.ts";
import { type StageEndpoint, stageEndpoint } from "../support/stage-endpoint.ts";
import { type TempDir, tempDir } from "../support/temp-dir.ts";

/** Entries refused while in here (the bug, fixed by taking it out: "deploying" the fix). */
export const refused = new Set<string>();
/** The ledger's order.paid route throws while this is set. */
export const route = { broken: false };

const ledger = actor("ledger", {
  state: () => ({ entries: [] as string[] }),
  handlers: {
    append(ctx, input: { entry: string }) {
      if (refused.has(input.entry)) throw new Error(`entry ${input.entry} refused`);
      ctx.state.entries.push(input.entry);
      return { entries: ctx.state.entries.length };
    },
  },
  signals: {
    "order.paid": {
      to: (detail) => {
        if (route.broken) throw new Error("no region table yet");
        return `ledger-${(detail as { region: string }).region}`;
      },
      handler: "append",
    },
  },
});

export const ENV = {
  AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
  AWS_REGION: EMULATOR_REGION,
  NO_COLOR: "1",
};
export const STAGE = "ops";

let dir: TempDir;
export let root: string;
export let ports: AwsPorts;
let settings: AwsFabricSettings;
export let endpoint: StageEndpoint;
let signalDlqUrl: string;
export let handler: ReturnType<typeof createLambdaHandler>;

/** Creates the queues, the endpoint and the project (call in beforeAll). */
export async function openStage(): Promise<void> {
  const { dynamodb, sqs } = await emulatorClients();
  const queues = await freshQueues("dlq-stage", { maxReceives: 1 });
  settings = await testSettings(queues, { maxReceives: 1 });
  const created = await sqs.send(new CreateQueueCommand({ QueueName: `${uniquePrefix("dlq")}-signals-dlq` }));
  signalDlqUrl = created.QueueUrl ?? "";
  const scheduler = new SchedulerClient({
    region: EMULATOR_REGION,
    credentials: { ...EMULATOR_CREDENTIALS },
  });
  ports = createAwsPorts({ settings, clients: { dynamodb, sqs, scheduler }, deadLetterWaitSeconds: 0 });
  handler = createLambdaHandler([ledger], { ports, write: () => undefined });
  endpoint = stageEndpoint({
    dynamodb: (await dynamoDbLocal()).endpoint,
    sqs: (await fauxqs()).endpoint,
    handler: (event, context) => handler(event, context),
    context: () => lambdaContext(),
  });

  dir = tempDir("dlq-stage-");
  const init = await durable(
    ["init", "ledger", "--template", "counter", "--no-install", "--no-git", "--yes"],
    {
      cwd: dir.path,
    },
  );
  expect(init.code).toBe(0);
  root = join(dir.path, "ledger");
  const outputs: StageOutputs = {
    stage: STAGE,
    stackName: `ledger-${STAGE}`,
    region: EMULATOR_REGION,
    stateTable: settings.stateTable,
    locksTable: settings.locksTable,
    workflowsTable: settings.workflowsTable,
    queueUrl: settings.queueUrl,
    queueDlqUrl: queues.queueDlqUrl,
    timerDlqUrl: queues.timerDlqUrl,
    signalDlqUrl,
    functionName: `ledger-${STAGE}-handler`,
    deployedAt: new Date().toISOString(),
    endpoint: endpoint.url,
  };
  mkdirSync(join(root, ".durable", "stages"), { recursive: true });
  writeFileSync(join(root, ".durable", "stages", `${STAGE}.json`), JSON.stringify(outputs));
}

export async function closeStage(): Promise<void> {
  await endpoint?.[Symbol.asyncDispose]();
  await dir?.[Symbol.asyncDispose]();
}

export const cli = (args: string[], confirms?: boolean[]) =>
  runInProcess([...args, "--stage", STAGE], { cwd: root, env: ENV, ...(confirms ? { confirms } : {}) });

export async function json<T>(args: string[]): Promise<T> {
  const run = await cli([...args, "--json"]);
  if (run.exitCode !== 0) throw new Error(`durable ${args.join(" ")} failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** What Lambda's event source mapping does: receive, invoke, delete the records not reported failed. */
export async function applyQueue(): Promise<void> {
  const { sqs } = await emulatorClients();
  for (let round = 0; round < 100; round++) {
    const messages = await receive(sqs, settings.queueUrl);
    if (messages.length === 0) return;
    const result = (await handler(
      sqsEvent(recordsFrom(messages, settings.queueArn ?? "")),
      lambdaContext(),
    )) as SqsBatchResult;
    const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
    const done = messages.filter((m) => !failed.has(m.MessageId ?? ""));
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: settings.queueUrl,
          Entries: done.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle ?? "" })),
        }),
      );
    }
  }
}

/** A poison message and its followers: the poison parks the actor on its only permitted delivery. */
export async function park(actorId: string, poison: string, followers: string[]): Promise<string> {
  refused.add(poison);
  const append = (entry: string): ActorMessage => ({
    id: `${actorId}-${entry}`,
    actorId,
    handler: "append",
    input: { entry },
    kind: "send",
    sentAt: Date.now(),
  });
  await ports.queue.send([append(poison), ...followers.map(append)]);
  await applyQueue();
  return `${actorId}-${poison}`;
}

/**
 * A signal event as EventBridge puts it in the signal DLQ when it gives up on a delivery: the event
 * as the body, why in its own attributes. No emulator here delivers EventBridge targets, so the
 * test puts it there itself.
 */
export async function signalInDlq(region: string, entry: string): Promise<string> {
  const { sqs } = await emulatorClients();
  const signalId = `sig-${randomUUID().slice(0, 8)}`;
  const event = {
    version: "0",
    id: randomUUID(),
    "detail-type": "order.paid",
    source: SIGNAL_SOURCE,
    account: "000000000000",
    time: new Date().toISOString(),
    region: EMULATOR_REGION,
    resources: [],
    detail: { id: signalId, source: "shop-1", at: Date.now(), detail: { region, entry } },
  };
  const text = (value: string) => ({ DataType: "String", StringValue: value });
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: signalDlqUrl,
      MessageBody: JSON.stringify(event),
      MessageAttributes: {
        ERROR_CODE: text("Lambda.TooManyRequestsException"),
        ERROR_MESSAGE: text("Rate exceeded"),
        RETRY_ATTEMPTS: text("8"),
        RULE_ARN: text("arn:aws:events:us-east-1:000000000000:rule/ledger-ops-signals"),
      },
    }),
  );
  return signalId;
}

export async function entries(actorId: string): Promise<string[]> {
  const record = await ports.store.read(actorId);
  return (record?.state as { entries?: string[] } | undefined)?.entries ?? [];
}

export interface ListedLetter {
  messageId: string;
  dlq: string;
  actorId: string | null;
  handler: string | null;
  signalType: string | null;
  reason: string;
  firstFailedAt: string;
  receiveCount: number | null;
}
