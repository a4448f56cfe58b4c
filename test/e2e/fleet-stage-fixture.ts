/**
 * A stage on emulators for `durable state list --stage` and `durable inspect --stage`: DynamoDB
 * Local (tables of its own, so a listing sees only this stage's actors) and fauxqs. No emulator
 * runs a Lambda function, so the stage's function is the real Lambda handler, on the project's own
 * actor files, served in this process behind the stage's endpoint (test/support/stage-endpoint.ts);
 * applyQueue plays the event source mapping.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { CreateQueueCommand, DeleteMessageBatchCommand, DeleteQueueCommand } from "@aws-sdk/client-sqs";
import type { StageOutputs } from "../../cli/stage-target.ts";
import { type AwsPorts, createAwsPorts } from "../../runtime/adapters/aws/create-aws-ports.ts";
import { createFabricTables, type FabricTables } from "../../runtime/adapters/aws/fabric-resources.ts";
import { createLambdaHandler } from "../../runtime/adapters/aws/lambda.ts";
import type { SqsBatchResult } from "../../runtime/adapters/aws/lambda-events.ts";
import type { AwsFabricSettings } from "../../runtime/adapters/aws/settings.ts";
import type { AnyActorDefinition } from "../../runtime/core/actor.ts";
import { Fabric } from "../../runtime/core/fabric.ts";
import type { JsonValue } from "../../runtime/core/json.ts";
import { lambdaContext, receive, recordsFrom, sqsEvent } from "../aws-lambda/lambda-support.ts";
import { runInProcess } from "../deploy/fixtures.ts";
import { emulatorClients, freshQueues, testSettings, uniquePrefix } from "../support/aws-fabric.ts";
import { dynamoDbLocal } from "../support/dynamodb-local.ts";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from "../support/emulator-credentials.ts";
import { fauxqs } from "../support/fauxqs.ts";
import { type StageEndpoint, stageEndpoint } from "../support/stage-endpoint.ts";
import { type TempDir, tempDir } from "../support/temp-dir.ts";
import { inspectorProject } from "./inspector-project.ts";

export const STAGE = "ops";
export const ENV = {
  AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
  AWS_REGION: EMULATOR_REGION,
  NO_COLOR: "1",
};

export interface FleetStage {
  root: string;
  settings: AwsFabricSettings;
  ports: AwsPorts;
  endpoint: StageEndpoint;
  /** Runs turns on the stage's tables directly, as the function would. */
  fabric: Fabric;
  /** `durable <args> --stage <stage>` in process, in the project. */
  cli(args: string[], stage?: string): ReturnType<typeof runInProcess>;
  /** A sync call through the fabric (a turn committed to the stage's tables). */
  call(actorId: string, handler: string, input?: JsonValue): Promise<void>;
  /** A poison message (its handler throws; one delivery is permitted) and its followers: the actor parks. */
  park(actorId: string, handler: string, poison: JsonValue, followers: JsonValue[]): Promise<void>;
  close(): Promise<void>;
}

export async function openFleetStage(name: string): Promise<FleetStage> {
  const { dynamodb, sqs } = await emulatorClients();
  const dir: TempDir = tempDir(`${name}-`);
  const root = await inspectorProject(dir.path);
  const tables: FabricTables = await createFabricTables(dynamodb, uniquePrefix(name));
  const queues = await freshQueues(name, { maxReceives: 1 });
  const created = await sqs.send(new CreateQueueCommand({ QueueName: `${uniquePrefix(name)}-signals-dlq` }));
  const signalDlqUrl = created.QueueUrl ?? "";
  const settings = await testSettings(queues, {
    maxReceives: 1,
    stateTable: tables.stateTable,
    locksTable: tables.locksTable,
    workflowsTable: tables.workflowsTable,
  });
  // No far timer is set here (they would reach EventBridge Scheduler); near ones use the delay queue.
  const scheduler = new SchedulerClient({
    region: EMULATOR_REGION,
    credentials: { ...EMULATOR_CREDENTIALS },
  });
  const ports = createAwsPorts({ settings, clients: { dynamodb, sqs, scheduler }, deadLetterWaitSeconds: 0 });
  const actors: AnyActorDefinition[] = [];
  for (const file of ["counter.ts", "gauge.ts"]) {
    const mod = (await import(join(root, "actors", file))) as Record<string, AnyActorDefinition>;
    actors.push(...Object.values(mod));
  }
  const handler = createLambdaHandler(actors, { ports, write: () => undefined });
  const endpoint = stageEndpoint({
    dynamodb: (await dynamoDbLocal()).endpoint,
    sqs: (await fauxqs()).endpoint,
    handler: (event, context) => handler(event, context),
    context: () => lambdaContext(),
  });
  const outputs: StageOutputs = {
    stage: STAGE,
    stackName: `shop-${STAGE}`,
    region: EMULATOR_REGION,
    stateTable: settings.stateTable,
    locksTable: settings.locksTable,
    workflowsTable: settings.workflowsTable,
    queueUrl: settings.queueUrl,
    queueDlqUrl: queues.queueDlqUrl,
    timerDlqUrl: queues.timerDlqUrl,
    signalDlqUrl,
    functionName: `shop-${STAGE}-handler`,
    deployedAt: new Date().toISOString(),
    endpoint: endpoint.url,
  };
  mkdirSync(join(root, ".durable", "stages"), { recursive: true });
  writeFileSync(join(root, ".durable", "stages", `${STAGE}.json`), JSON.stringify(outputs));
  const fabric = new Fabric({ ports, actors, owner: `${name}-seed` });

  /** What Lambda's event source mapping does: receive, invoke, delete the records not reported failed. */
  const applyQueue = async () => {
    for (let round = 0; round < 100; round++) {
      const messages = await receive(sqs, settings.queueUrl);
      if (messages.length === 0) return;
      const result = (await handler(
        sqsEvent(recordsFrom(messages, settings.queueArn ?? "")),
        lambdaContext(),
      )) as SqsBatchResult;
      const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
      const done = messages.filter((m) => !failed.has(m.MessageId ?? ""));
      if (done.length === 0) continue;
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: settings.queueUrl,
          Entries: done.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle ?? "" })),
        }),
      );
    }
  };

  return {
    root,
    settings,
    ports,
    endpoint,
    fabric,
    cli: (args, stage = STAGE) => runInProcess([...args, "--stage", stage], { cwd: root, env: ENV }),
    async call(actorId, handlerName, input) {
      await fabric.invoke({ actorId, handler: handlerName, input, mode: "sync" });
    },
    async park(actorId, handlerName, poison, followers) {
      const send = (input: JsonValue, n: number) => ({
        id: `${actorId}-${n === 0 ? "poison" : `next-${n}`}`,
        actorId,
        handler: handlerName,
        input,
        kind: "send" as const,
        sentAt: Date.now(),
      });
      await ports.queue.send([send(poison, 0), ...followers.map((f, i) => send(f, i + 1))]);
      await applyQueue();
    },
    async close() {
      await endpoint[Symbol.asyncDispose]();
      await Promise.all([
        tables.destroy(),
        queues.destroy(),
        sqs.send(new DeleteQueueCommand({ QueueUrl: signalDlqUrl })).catch(() => undefined),
      ]);
      await dir[Symbol.asyncDispose]();
    },
  };
}
