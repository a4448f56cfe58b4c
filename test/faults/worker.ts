import type { AwsPorts } from "../../runtime/adapters/aws/create-aws-ports.ts";
import type { AnyActorDefinition } from "../../runtime/core/actor.ts";
import { StoreUnavailableError, VersionConflictError } from "../../runtime/core/errors.ts";
import { Fabric, type FabricOptions } from "../../runtime/core/fabric.ts";
import type { Clock } from "../../runtime/ports/clock.ts";
import type { FabricPorts } from "../../runtime/ports/index.ts";
import { ProcessLife, type Seam } from "./crash.ts";
import type { DynamoWireFaults, WireFaultRule } from "./dynamodb-wire-faults.ts";
import { type FaultErrors, FaultInjector, type FaultRule } from "./fault-injector.ts";
import { InFlight, type PortObserver, wrapPorts } from "./port-faults.ts";
import type { SdkCalls } from "./sdk-faults.ts";
import type { BatchFailureRule, SqsBatchFaults } from "./sqs-batch-faults.ts";
import type { BackendKind } from "./tally.ts";

/** The local backend's faults are typed runtime errors, as its ports would raise them. */
export const portErrors: FaultErrors = {
  before: (op) => new StoreUnavailableError(`injected: ${op} failed before it reached the database`),
  throttle: (op) => new StoreUnavailableError(`injected: ${op} was refused (busy)`),
  ambiguous: (op) => new StoreUnavailableError(`injected: ${op} happened, then the reply was lost`),
  conflict: (op) =>
    new VersionConflictError(`injected: a concurrent write won the race with ${op}; nothing was written`),
};

export interface WorkerOptions {
  name: string;
  actors: readonly AnyActorDefinition[];
  /** Faults at the backend's own layer: the ports on local, SDK middleware on aws. */
  faults?: readonly FaultRule[];
  /** Faults at the ports on either backend: failures between runtime steps. */
  portFaults?: readonly FaultRule[];
  /** Where the aws faults sit relative to the SDK's retries (see SdkFaultOptions.layer). */
  sdkLayer?: "client" | "wire";
  /** aws: DynamoDB errors only real AWS returns, answered on the wire (dynamodb-wire-faults.ts). */
  wire?: readonly WireFaultRule[];
  /** aws: SendMessageBatch calls that accept some entries and fail others (sqs-batch-faults.ts). */
  batchFailures?: BatchFailureRule;
  /** Where this worker's process dies (crash.ts); `worker.life.kill()` kills it at any moment. */
  crashAt?: (seam: Seam) => boolean;
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
  /** The same backend with no faults and its own connection or clients, for setup and for reading the outcome. */
  raw: FabricPorts;
  faults: FaultInjector;
  crashes: FaultInjector;
  /** The process: the seams it passed, and whether it died. */
  life: ProcessLife;
  /** Port calls in flight. */
  inFlight: InFlight;
  /** aws only: SDK commands sent and in flight. */
  sdk?: { calls: SdkCalls; inFlight: InFlight };
  /** aws only: the worker's ports (faults and seams in place) with the settings and clients the Lambda entry needs. */
  aws?: AwsPorts;
  /** aws only: the DynamoDB errors answered on the wire. */
  wire?: DynamoWireFaults;
  /** aws only: the SendMessageBatch entries failed. */
  batches?: SqsBatchFaults;
}

export interface Injectors {
  faults: FaultInjector;
  crashes: FaultInjector;
}

export function makeInjectors(w: WorkerOptions, errors: FaultErrors, seed: number): Injectors {
  return {
    faults: new FaultInjector(`${w.name}/faults`, w.faults ?? [], errors, seed),
    crashes: new FaultInjector(`${w.name}/crashes`, w.portFaults ?? [], portErrors, seed),
  };
}

/**
 * A worker from the ports its process uses and a clean set for reading outcomes. On local the
 * backend's faults sit at the ports; on aws they sit in the SDK clients instead (`sdk`).
 */
export function assemble(
  w: WorkerOptions,
  kind: BackendKind,
  ports: FabricPorts,
  raw: FabricPorts,
  injectors: Injectors,
  life = new ProcessLife(w.crashAt),
  sdk?: Worker["sdk"],
): Worker {
  const { faults, crashes } = injectors;
  const inFlight = new InFlight();
  const wrapped = wrapPorts(ports, {
    injectors: kind === "local" ? [faults, crashes] : [crashes],
    observer: w.observer,
    inFlight,
    sendReportedBelow: kind === "aws",
    life,
  });
  const fabric = new Fabric({ ports: wrapped, actors: w.actors, owner: w.name, ...w.fabric });
  return { name: w.name, fabric, ports: wrapped, raw, faults, crashes, life, inFlight, sdk };
}
