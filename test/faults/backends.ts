import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import { SQS_ATTRIBUTES } from "../../runtime/adapters/aws/config.ts";
import { type AwsPorts, createAwsPorts } from "../../runtime/adapters/aws/create-aws-ports.ts";
import { decodeMessage } from "../../runtime/adapters/aws/sqs-codec.ts";
import { openLocalPorts } from "../../runtime/adapters/local/index.ts";
import type { AnyActorDefinition } from "../../runtime/core/actor.ts";
import { StoreUnavailableError } from "../../runtime/core/errors.ts";
import { Fabric, type FabricOptions } from "../../runtime/core/fabric.ts";
import { type Clock, systemClock } from "../../runtime/ports/clock.ts";
import type { FabricPorts } from "../../runtime/ports/index.ts";
import type { DeadLetter } from "../../runtime/ports/message-queue.ts";
import { emulatorClients, freshQueues, testSettings, uniquePrefix } from "../support/aws-fabric.ts";
import { dynamoDbLocal } from "../support/dynamodb-local.ts";
import { EMULATOR_REGION } from "../support/emulator-credentials.ts";
import { FakeScheduler } from "../support/fake-scheduler.ts";
import { fauxqs } from "../support/fauxqs.ts";
import { type FaultErrors, FaultInjector, type FaultRule } from "./fault-injector.ts";
import { InFlight, type PortObserver, wrapPorts } from "./port-faults.ts";
import { installSdkFaults, instrumentSend, SdkCalls, sdkErrors } from "./sdk-faults.ts";
import type { BackendKind } from "./tally.ts";

export type { BackendKind } from "./tally.ts";

/** FAULT_BACKENDS=local runs only the local backend (no emulators), e.g. while iterating. */
export const BACKENDS: readonly BackendKind[] = (process.env.FAULT_BACKENDS ?? "local,aws")
  .split(",")
  .map((b) => b.trim())
  .filter((b): b is BackendKind => b === "local" || b === "aws");

/** The local backend's faults are typed runtime errors, as its ports would raise them. */
const portErrors: FaultErrors = {
  before: (op) => new StoreUnavailableError(`injected: ${op} failed before it reached the database`),
  throttle: (op) => new StoreUnavailableError(`injected: ${op} was refused (busy)`),
  ambiguous: (op) => new StoreUnavailableError(`injected: ${op} happened, then the reply was lost`),
};

export interface WorkerOptions {
  name: string;
  actors: readonly AnyActorDefinition[];
  /** Faults at the backend's own layer: the ports on local, SDK middleware on aws. */
  faults?: readonly FaultRule[];
  /** Faults at the ports on either backend: process crashes between runtime steps. */
  portFaults?: readonly FaultRule[];
  /** Where the aws faults sit relative to the SDK's retries (see SdkFaultOptions.layer). */
  sdkLayer?: "client" | "wire";
  clock?: Clock;
  observer?: PortObserver;
  fabric?: Partial<Omit<FabricOptions, "ports" | "actors">>;
}

/** One process of the fabric: its own connection or SDK clients, fault streams and counters. */
export interface Worker {
  name: string;
  fabric: Fabric;
  /** What the fabric uses: faults and observers in place. */
  ports: FabricPorts;
  /** The same backend with no faults, for setup and for reading the outcome. */
  raw: FabricPorts;
  faults: FaultInjector;
  crashes: FaultInjector;
  /** Port calls in flight. */
  inFlight: InFlight;
  /** aws only: SDK commands sent and in flight. */
  sdk?: { calls: SdkCalls; inFlight: InFlight };
  /** aws only: the wrapped ports with the settings and clients the Lambda entry needs. */
  aws?: AwsPorts;
}

/** Storage shared by the workers of one scenario: a database file, or tables and fresh queues. */
export interface Environment {
  kind: BackendKind;
  /** Every fault decision of this environment's workers draws from this seed. */
  seed: number;
  worker(options: WorkerOptions): Promise<Worker>;
  /** Delivers due timers into the actor queue (the local timer loop's tick, or fake Scheduler firing). */
  fireTimers(now: number): Promise<number>;
  /**
   * Every dead letter, oldest first, with its receive count. On aws the DLQ is drained to read it:
   * a FIFO queue shows only the head of each group to a non-destructive listing.
   */
  takeDeadLetters(): Promise<DeadLetter[]>;
  /** Messages in the actor queue, visible or in flight: 0 means nothing is left to deliver. */
  queueDepth(): Promise<number>;
  close(): Promise<void>;
}

export interface EnvironmentOptions {
  label: string;
  /** The seed of this run, or of this iteration of a sweep (see seed.ts). */
  seed: number;
  maxReceives?: number;
  /** The clock the timer side uses (local: the scheduler's clock for queue visibility). */
  clock?: Clock;
  /** aws: also create the standard delay queue for near timers (off by default: every timer goes to Scheduler). */
  delayQueue?: boolean;
}

export function openEnvironment(kind: BackendKind, options: EnvironmentOptions): Promise<Environment> {
  return kind === "local" ? openLocal(options) : openAws(options);
}

async function openLocal(options: EnvironmentOptions): Promise<Environment> {
  const dir = mkdtempSync(join(tmpdir(), "durable-faults-"));
  const path = join(dir, "local.db");
  const opened: { close(): void }[] = [];
  const open = (clock: Clock) => {
    // Versions of history are not needed; a small limit keeps long runs from growing the file.
    const ports = openLocalPorts({
      path,
      clock,
      maxReceives: options.maxReceives,
      historyLimit: 4,
      durability: "normal",
    });
    opened.push(ports);
    return ports;
  };
  const timerSide = open(options.clock ?? systemClock);
  return {
    kind: "local",
    seed: options.seed,
    async worker(w) {
      const raw = open(w.clock ?? systemClock);
      return assemble(w, "local", raw, makeInjectors(w, portErrors, options.seed), undefined);
    },
    fireTimers: async (now) => (await timerSide.timers.fireDueTimers(now)).length,
    takeDeadLetters: () => timerSide.queue.deadLetters(),
    async queueDepth() {
      const stats = await timerSide.queue.stats();
      return stats.queued + stats.inFlight;
    },
    async close() {
      for (const ports of opened) ports.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function openAws(options: EnvironmentOptions): Promise<Environment> {
  const [shared, ddb, sqs] = await Promise.all([emulatorClients(), dynamoDbLocal(), fauxqs()]);
  const queues = await freshQueues(uniquePrefix(options.label).slice(0, 40), {
    delayQueue: options.delayQueue ?? false,
    maxReceives: options.maxReceives ?? 5,
  });
  const settings = await testSettings(queues, { maxReceives: options.maxReceives ?? 5 });
  // Scheduler has no emulator: FakeScheduler stands in behind a real SchedulerClient at the port.
  const scheduler = new FakeScheduler(shared.sqs, (arn) => {
    if (arn !== queues.queueArn) throw new Error(`the fake scheduler knows no queue ${arn}`);
    return queues.queueUrl;
  });
  const eventbridge = new EventBridgeClient({ region: EMULATOR_REGION, endpoint: "http://127.0.0.1:9" });
  return {
    kind: "aws",
    seed: options.seed,
    async worker(w) {
      const injectors = makeInjectors(w, sdkErrors, options.seed);
      const calls = new SdkCalls();
      const inFlight = new InFlight();
      const sdk = { service: "scheduler" as const, injector: injectors.faults, calls, inFlight };
      const clients = {
        dynamodb: ddb.client(),
        sqs: sqs.client(),
        scheduler: instrumentSend(scheduler.client, sdk),
        eventbridge,
      };
      installSdkFaults(clients.dynamodb, { ...sdk, service: "dynamodb", layer: w.sdkLayer });
      installSdkFaults(clients.sqs, { ...sdk, service: "sqs", layer: w.sdkLayer });
      const raw = createAwsPorts({
        settings,
        clients,
        clock: w.clock ?? systemClock,
        deadLetterWaitSeconds: 0,
      });
      const worker = assemble(w, "aws", raw, injectors, { calls, inFlight });
      worker.aws = { ...raw, ...worker.ports };
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
          const message = decodeMessage(m.Body);
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
    close: () => queues.destroy(),
  };
}

interface Injectors {
  faults: FaultInjector;
  crashes: FaultInjector;
}

function makeInjectors(w: WorkerOptions, errors: FaultErrors, seed: number): Injectors {
  return {
    faults: new FaultInjector(`${w.name}/faults`, w.faults ?? [], errors, seed),
    crashes: new FaultInjector(`${w.name}/crashes`, w.portFaults ?? [], portErrors, seed),
  };
}

function assemble(
  w: WorkerOptions,
  kind: BackendKind,
  raw: FabricPorts,
  injectors: Injectors,
  sdk: Worker["sdk"],
): Worker {
  const { faults, crashes } = injectors;
  const inFlight = new InFlight();
  // On local the backend's faults sit at the ports; on aws they sit in the SDK clients instead.
  const ports = wrapPorts(raw, {
    injectors: kind === "local" ? [faults, crashes] : [crashes],
    observer: w.observer,
    inFlight,
    sendReportedBelow: kind === "aws",
  });
  const fabric = new Fabric({ ports, actors: w.actors, owner: w.name, ...w.fabric });
  return { name: w.name, fabric, ports, raw, faults, crashes, inFlight, sdk };
}
