import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { SQS_ATTRIBUTES } from "../../runtime/adapters/aws/config.ts";
import { type AwsClients, createAwsPorts } from "../../runtime/adapters/aws/create-aws-ports.ts";
import { createFabricTables } from "../../runtime/adapters/aws/fabric-resources.ts";
import { createLambdaHandler } from "../../runtime/adapters/aws/lambda.ts";
import type { AnyActorDefinition } from "../../runtime/core/actor.ts";
import { systemClock } from "../../runtime/ports/clock.ts";
import type { DeadLetter } from "../../runtime/ports/message-queue.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import { emulatorClients, freshQueues, testSettings, uniquePrefix } from "../support/aws-fabric.ts";
import { dynamoDbLocal } from "../support/dynamodb-local.ts";
import { FakeEventBridge } from "../support/fake-eventbridge.ts";
import { FakeScheduler } from "../support/fake-scheduler.ts";
import { fauxqs } from "../support/fauxqs.ts";
import type { Environment, EnvironmentOptions } from "./backends.ts";
import { ProcessLife } from "./crash.ts";
import { DynamoWireFaults } from "./dynamodb-wire-faults.ts";
import { InFlight } from "./port-faults.ts";
import { installSdkFaults, instrumentSend, SdkCalls, sdkErrors } from "./sdk-faults.ts";
import { SqsBatchFaults } from "./sqs-batch-faults.ts";
import { assemble, makeInjectors } from "./worker.ts";

/**
 * The aws backend on emulators: shared DynamoDB Local tables, fresh fauxqs queues, and stand-ins
 * at the SDK client for the two services with no emulator here (Scheduler, EventBridge). Each
 * worker gets its own SDK clients carrying its faults and its process's seams.
 */
export async function openAws(options: EnvironmentOptions): Promise<Environment> {
  const [shared, ddb, sqs] = await Promise.all([emulatorClients(), dynamoDbLocal(), fauxqs()]);
  const maxReceives = options.maxReceives ?? 5;
  const queues = await freshQueues(uniquePrefix(options.label).slice(0, 40), {
    delayQueue: options.delayQueue ?? false,
    maxReceives,
  });
  const tables = options.ownTables
    ? await createFabricTables(shared.dynamodb, uniquePrefix(options.label))
    : undefined;
  const settings = await testSettings(queues, {
    maxReceives,
    busName: `faults-bus-${options.label}`,
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
    ...(tables
      ? {
          stateTable: tables.stateTable,
          locksTable: tables.locksTable,
          workflowsTable: tables.workflowsTable,
        }
      : {}),
  });
  // Scheduler has no emulator: FakeScheduler stands in behind a real SchedulerClient at the port.
  const scheduler = new FakeScheduler(shared.sqs, (arn) => {
    if (arn !== queues.queueArn) throw new Error(`the fake scheduler knows no queue ${arn}`);
    return queues.queueUrl;
  });
  const eventbridge = new FakeEventBridge();
  const cleanClients = (): AwsClients => ({
    dynamodb: ddb.client(),
    sqs: sqs.client(),
    s3: sqs.s3(),
    scheduler: scheduler.client,
    eventbridge: eventbridge.client,
  });
  // What the EventBridge rule's target does with a signal: the Lambda entry, on clean clients.
  const ruleTarget = (actors: readonly AnyActorDefinition[], lines: string[] | undefined) =>
    createLambdaHandler(actors, {
      ports: createAwsPorts({ settings, clients: cleanClients(), deadLetterWaitSeconds: 0 }),
      write: (line) => lines?.push(line),
    });
  return {
    kind: "aws",
    seed: options.seed,
    async worker(w) {
      const injectors = makeInjectors(w, sdkErrors, options.seed);
      const life = new ProcessLife(w.crashAt);
      const calls = new SdkCalls();
      const inFlight = new InFlight();
      const sdk = { service: "scheduler" as const, injector: injectors.faults, calls, inFlight, life };
      const clients: AwsClients = {
        dynamodb: ddb.client(),
        sqs: sqs.client(),
        s3: sqs.s3(),
        scheduler: instrumentSend(scheduler.client, sdk),
        eventbridge: instrumentSend(eventbridge.client, { ...sdk, service: "eventbridge" }),
      };
      const wire = new DynamoWireFaults(w.name, w.wire ?? [], options.seed);
      wire.install(clients.dynamodb);
      const batches = w.batchFailures ? new SqsBatchFaults(w.name, w.batchFailures, options.seed) : undefined;
      batches?.install(clients.sqs);
      installSdkFaults(clients.dynamodb, { ...sdk, service: "dynamodb", layer: w.sdkLayer });
      installSdkFaults(clients.sqs, { ...sdk, service: "sqs", layer: w.sdkLayer });
      const clock = w.clock ?? systemClock;
      const ports = createAwsPorts({ settings, clients, clock, deadLetterWaitSeconds: 0 });
      const raw = createAwsPorts({ settings, clients: cleanClients(), clock, deadLetterWaitSeconds: 0 });
      const worker = assemble(w, "aws", ports, raw, injectors, life, { calls, inFlight });
      worker.aws = { ...ports, ...worker.ports };
      worker.wire = wire;
      if (batches) worker.batches = batches;
      return worker;
    },
    fireTimers: (now) => scheduler.fireDue(now),
    async takeDeadLetters() {
      const letters: DeadLetter[] = [];
      for (let round = 0; round < 200; round++) {
        const { Messages = [] } = await shared.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queues.queueDlqUrl,
            MaxNumberOfMessages: 10,
            MessageAttributeNames: ["All"],
          }),
        );
        if (Messages.length === 0) break;
        for (const m of Messages) {
          // Leniently: a dead letter may be a body the fabric refused to decode (a forged one).
          const message = parseLoosely(m.Body);
          const attribute = (name: string) => m.MessageAttributes?.[name]?.StringValue;
          if (!message) continue;
          letters.push({
            message,
            receiveCount: Number(attribute(SQS_ATTRIBUTES.deadLetterReceiveCount) ?? 0),
            reason: attribute(SQS_ATTRIBUTES.deadLetterReason) ?? "",
            at: Number(attribute(SQS_ATTRIBUTES.deadLetteredAt) ?? 0),
          });
        }
        const Entries = Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle ?? "" }));
        await shared.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queues.queueDlqUrl, Entries }));
      }
      return letters;
    },
    async queueDepth() {
      const { Attributes = {} } = await shared.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queues.queueUrl,
          AttributeNames: [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
          ],
        }),
      );
      return Object.values(Attributes).reduce((n, v) => n + Number(v), 0);
    },
    async deliverSignals(actors, lines) {
      const events = eventbridge.take();
      if (events.length === 0) return 0;
      const handler = ruleTarget(actors, lines);
      for (const event of events) {
        try {
          await handler(event, { getRemainingTimeInMillis: () => 60_000 });
        } catch (error) {
          // The target failed (a FunctionError): EventBridge retries it, and the same event fails the same way.
          lines?.push(JSON.stringify({ level: "error", message: "rule target threw", error: String(error) }));
        }
      }
      return events.length;
    },
    async enqueueRaw(actorId, id, body) {
      await shared.sqs.send(
        new SendMessageCommand({
          QueueUrl: queues.queueUrl,
          MessageBody: body,
          MessageGroupId: actorId,
          MessageDeduplicationId: id,
        }),
      );
    },
    async close() {
      await Promise.all([queues.destroy(), tables?.destroy()]);
    },
  };
}

function parseLoosely(body: string | undefined): ActorMessage | undefined {
  try {
    const value: unknown = JSON.parse(body ?? "");
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    const m = value as Partial<ActorMessage>;
    return typeof m.id === "string" && typeof m.actorId === "string" ? (value as ActorMessage) : undefined;
  } catch {
    return undefined;
  }
}
