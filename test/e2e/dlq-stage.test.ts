/**
 * `durable dlq --stage` against a stage on emulators: DynamoDB Local for the tables, fauxqs for the
 * actor queue, its FIFO DLQ and the standard signal DLQ. No emulator here runs a Lambda function,
 * so the stage's function is the real Lambda handler served in this process behind the stage's
 * endpoint (test/support/stage-endpoint.ts); the test plays the event source mapping (receive,
 * invoke, delete what was not reported failed). The CLI runs in process (runCli) on a generated
 * project whose stage file points at that endpoint.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { CreateQueueCommand, DeleteMessageBatchCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { openDlqTarget } from "../../cli/dlq/target.ts";
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
const refused = new Set<string>();
let routeBroken = false;

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
        if (routeBroken) throw new Error("no region table yet");
        return `ledger-${(detail as { region: string }).region}`;
      },
      handler: "append",
    },
  },
});

const ENV = {
  AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
  AWS_REGION: EMULATOR_REGION,
  NO_COLOR: "1",
};
const STAGE = "ops";

let dir: TempDir;
let root: string;
let ports: AwsPorts;
let settings: AwsFabricSettings;
let endpoint: StageEndpoint;
let signalDlqUrl: string;
let handler: ReturnType<typeof createLambdaHandler>;

beforeAll(async () => {
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
}, 120_000);

afterAll(async () => {
  await endpoint?.[Symbol.asyncDispose]();
  await dir?.[Symbol.asyncDispose]();
});

const cli = (args: string[], confirms?: boolean[]) =>
  runInProcess([...args, "--stage", STAGE], { cwd: root, env: ENV, ...(confirms ? { confirms } : {}) });

async function json<T>(args: string[]): Promise<T> {
  const run = await cli([...args, "--json"]);
  if (run.exitCode !== 0) throw new Error(`durable ${args.join(" ")} failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** What Lambda's event source mapping does: receive, invoke, delete the records not reported failed. */
async function applyQueue(): Promise<void> {
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
async function park(actorId: string, poison: string, followers: string[]): Promise<string> {
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
async function signalInDlq(region: string, entry: string): Promise<string> {
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

async function entries(actorId: string): Promise<string[]> {
  const record = await ports.store.read(actorId);
  return (record?.state as { entries?: string[] } | undefined)?.entries ?? [];
}

interface ListedLetter {
  messageId: string;
  dlq: string;
  actorId: string | null;
  handler: string | null;
  signalType: string | null;
  reason: string;
  firstFailedAt: string;
  receiveCount: number | null;
}

describe("durable dlq on a stage (DynamoDB Local + fauxqs, the function served in process)", () => {
  test("list covers the actor DLQ and the signal DLQ and says which each letter is in; show prints body and error; listing leaves them in place", async () => {
    const poison = await park("ledger-s1", "bad", ["f1"]);
    const signalId = await signalInDlq("us", "paid-1");
    const list = await cli(["dlq", "list"]);
    expect(list.exitCode).toBe(0);
    expect(list.stderr).toContain(
      `→ stage ${STAGE} (ledger-${STAGE}, ${EMULATOR_REGION} via ${endpoint.url})`,
    );
    expect(list.stdout).toMatch(
      new RegExp(`${poison}\\s+actors\\s+ledger-s1\\s+append\\s+\\S+Z\\s+1\\s+HANDLER_FAILED`),
    );
    expect(list.stdout).toMatch(
      new RegExp(`${signalId}\\s+signals\\s+-\\s+signal order.paid\\s+\\S+Z\\s+9\\s+Lambda`),
    );

    const listed = await json<{ letters: ListedLetter[] }>(["dlq", "list"]);
    const mine = listed.letters.filter((l) => l.messageId === poison || l.messageId === signalId);
    expect(mine).toHaveLength(2);
    expect(mine.find((l) => l.dlq === "actors")).toMatchObject({
      messageId: poison,
      actorId: "ledger-s1",
      handler: "append",
      reason: "HANDLER_FAILED: entry bad refused",
      receiveCount: 1,
    });
    expect(mine.find((l) => l.dlq === "signals")).toMatchObject({
      messageId: signalId,
      actorId: null,
      signalType: "order.paid",
      reason: "Lambda.TooManyRequestsException: Rate exceeded",
      receiveCount: 9,
    });
    const byActor = await json<{ letters: ListedLetter[] }>(["dlq", "list", "--actor", "ledger-s1"]);
    expect(byActor.letters.map((l) => l.messageId)).toEqual([poison]);

    const shown = await json<{ reason: string; body: { input: unknown } }>(["dlq", "show", poison]);
    expect(shown.reason).toBe("HANDLER_FAILED: entry bad refused");
    expect(shown.body.input).toEqual({ entry: "bad" });

    // Clean up for the other cases: purge what this case made.
    await json(["dlq", "purge", "--actor", "ledger-s1", "--yes"]);
    const purged = await json<{ messageIds: string[] }>(["dlq", "purge", "--yes"]);
    expect(purged.messageIds).toContain(signalId);
  }, 60_000);

  test("redrive runs in the function: the poison goes back ahead of its followers and runs once, first (--unpark), or waits parked; a failed route and a signal event are delivered again; each leaves its DLQ", async () => {
    const p1 = await park("ledger-r1", "bad", ["f1", "f2"]);
    const p2 = await park("ledger-r2", "bad", ["g1"]);
    routeBroken = true;
    await handler(
      {
        version: "0",
        id: randomUUID(),
        "detail-type": "order.paid",
        source: SIGNAL_SOURCE,
        time: new Date().toISOString(),
        detail: {
          id: "sig-route",
          source: "shop-1",
          at: Date.now(),
          detail: { region: "fr", entry: "route-1" },
        },
      },
      lambdaContext(),
    );
    const signalId = await signalInDlq("de", "event-1");
    expect((await json<{ letters: ListedLetter[] }>(["dlq", "list"])).letters).toHaveLength(4);
    refused.clear();
    routeBroken = false;

    const r1 = await cli(["dlq", "redrive", "--actor", "ledger-r1", "--unpark"]);
    expect(r1.exitCode).toBe(0);
    expect(r1.stdout).toContain(
      "✔ ledger-r1: 1 put back ahead of its later messages, unparked, 3 ran in order",
    );
    expect(await entries("ledger-r1")).toEqual(["bad", "f1", "f2"]);
    expect((await ports.store.read("ledger-r1"))?.parked).toBeNull();

    const r2 = await cli(["dlq", "redrive", p2]);
    expect(r2.stdout).toContain("still parked; run durable state unpark ledger-r2 or redrive with --unpark");
    expect(await entries("ledger-r2")).toEqual([]);
    expect((await cli(["state", "unpark", "ledger-r2"])).exitCode).toBe(0);
    expect(await entries("ledger-r2")).toEqual(["bad", "g1"]);

    const rest = await cli(["dlq", "redrive", "--all"]);
    expect(rest.exitCode).toBe(0);
    expect(rest.stdout).toContain(
      "signal route sig-route>ledger (order.paid): routed again to ledger-fr, 1 ran in order",
    );
    expect(rest.stdout).toContain(
      `signal ${signalId} (order.paid): delivered to the function again, routed to 1 actor(s)`,
    );
    expect(await entries("ledger-fr")).toEqual(["route-1"]);
    await applyQueue(); // the re-delivered signal's message, through the actor queue
    expect(await entries("ledger-de")).toEqual(["event-1"]);
    expect((await json<{ letters: ListedLetter[] }>(["dlq", "list"])).letters).toEqual([]);
    const kinds = endpoint.invocations.map((e) => (e as { type?: string; source?: string }).type ?? "signal");
    expect(kinds.filter((k) => k === "durable.redrive")).toHaveLength(3);
    expect(p1).toBe("ledger-r1-bad");
  }, 90_000);

  test("redriving twice applies nothing twice: an invoke retried after the function committed, and a CLI stopped between the commit and the DLQ delete", async () => {
    const poison = await park("ledger-i1", "bad", ["h1"]);
    refused.clear();
    // Lambda fails after the function ran; the SDK sends the same redrive again.
    endpoint.failAfterRunning((e) => (e as { type?: string }).type === "durable.redrive");
    const before = endpoint.invocations.length;
    const first = await json<{ redriven: { result: { redriven: number; drained: number } }[] }>([
      "dlq",
      "redrive",
      poison,
      "--unpark",
    ]);
    expect(endpoint.invocations.length - before).toBe(2);
    expect(first.redriven[0]?.result).toMatchObject({ redriven: 0, alreadyApplied: 1, drained: 0 });
    expect(await entries("ledger-i1")).toEqual(["bad", "h1"]);

    // The CLI stops right after the function answered, before it deleted the letter: the test makes
    // the same redrive call through the stage target and never removes the letter; it comes back
    // when its hold runs out.
    const second = await park("ledger-i2", "bad", ["k1"]);
    refused.clear();
    const stopped = await openDlqTarget({ cwd: root, env: ENV }, STAGE, { fabric: true });
    const letter = (await stopped.letters(1)).find((l) => l.id === second);
    if (letter?.path.kind !== "actor") throw new Error("the poison is not in the DLQ");
    await stopped.redrive({
      type: "durable.redrive",
      actorId: "ledger-i2",
      messages: [letter.path.message],
      unpark: true,
    });
    expect(await entries("ledger-i2")).toEqual(["bad", "k1"]);
    await Bun.sleep(1_500);

    const again = await cli(["dlq", "redrive", second, "--unpark"]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain("ledger-i2: 1 already applied (left out), 0 ran in order");
    expect(await entries("ledger-i2")).toEqual(["bad", "k1"]);
    expect(
      (await json<{ letters: ListedLetter[] }>(["dlq", "list", "--actor", "ledger-i2"])).letters,
    ).toEqual([]);
    await stopped.close();
  }, 90_000);

  test("purge refuses without --yes when there is no terminal, holding nothing; asks on a terminal; --yes deletes from both DLQs", async () => {
    const poison = await park("ledger-p1", "bad", []);
    const signalId = await signalInDlq("it", "x");
    const refusedRun = await cli(["dlq", "purge"]);
    expect(refusedRun.exitCode).toBe(1);
    expect(refusedRun.stderr).toContain(
      "needs confirmation and there is no terminal to ask on (pass --yes to confirm)",
    );
    // Nothing was received, so nothing is hidden: a listing sees both at once.
    expect(
      (await json<{ letters: ListedLetter[] }>(["dlq", "list"])).letters.map((l) => l.messageId).sort(),
    ).toEqual([poison, signalId].sort());

    const declined = await cli(["dlq", "purge"], [false]);
    expect(declined.exitCode).toBe(1);
    expect(declined.prompts[0]).toContain("Delete 2 dead letter(s): 1 in the actor DLQ, 1 in the signal DLQ");
    const purged = await json<{ purged: number }>(["dlq", "purge", "--yes"]);
    expect(purged.purged).toBe(2);
    expect((await json<{ letters: ListedLetter[] }>(["dlq", "list"])).letters).toEqual([]);
  }, 60_000);
});
