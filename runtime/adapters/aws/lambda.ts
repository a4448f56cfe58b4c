import { randomUUID } from "node:crypto";
import { type AnyActorDefinition, isActorDefinition } from "../../core/actor.ts";
import { Fabric } from "../../core/fabric.ts";
import { ActorRegistry } from "../../core/registry.ts";
import type { SweepResult } from "../../core/sweeper.ts";
import type { TurnLogEntry } from "../../core/turn.ts";
import { WarmActors } from "../../core/warm-actors.ts";
import { DEFAULTS, ENV, WARM_GRACE_ENV } from "./config.ts";
import { type AwsPorts, type AwsPortsOptions, createAwsPorts } from "./create-aws-ports.ts";
import {
  type DurableInvokeEvent,
  type DurableInvokeResult,
  type DurableMigrateEvent,
  type DurableMigrateResult,
  type DurableRedriveEvent,
  type DurableRedriveResult,
  type DurableSweepEvent,
  type DurableUnparkEvent,
  type DurableUnparkResult,
  isDurableInvokeEvent,
  isDurableMigrateEvent,
  isDurableRedriveEvent,
  isDurableSweepEvent,
  isDurableUnparkEvent,
} from "./invoke-event.ts";
import {
  type EventBridgeEventLike,
  isEventBridgeEvent,
  isSqsEvent,
  type LambdaContextLike,
  type SignalDeliveryResult,
  type SqsBatchResult,
  type SqsEventLike,
} from "./lambda-events.ts";
import { invoke } from "./lambda-invoke.ts";
import { LambdaMetrics } from "./lambda-metrics.ts";
import { migrateActors, redriveLetters, sweep, unparkActor } from "./lambda-operations.ts";
import { deliverSignal } from "./lambda-signals.ts";
import { handleSqsEvent } from "./lambda-sqs.ts";
import { readAwsSettings } from "./settings.ts";
import { DeadLetterBox } from "./sqs-dead-letters.ts";

export type {
  EventBridgeEventLike,
  LambdaContextLike,
  SignalDeliveryResult,
  SqsBatchResult,
  SqsEventLike,
} from "./lambda-events.ts";

export interface LambdaHandlerOptions {
  /** Ports to run on (tests, custom clients). Without them they are built once per container from the environment. */
  ports?: AwsPorts;
  /** Passed to createAwsPorts when the ports come from the environment. */
  aws?: AwsPortsOptions;
  /**
   * A turn's lease, renewed while its handlers run. A crashed container stops renewing, so it
   * blocks an actor for at most this long. Default: DURABLE_LEASE_MS.
   */
  leaseMs?: number;
  /**
   * How long this container keeps an actor after committing a turn on it, so that the actor's next
   * call reaching the same container runs on the committed state and commits in one write, with
   * nothing read. Another container takes the actor at once (it never waits for this). 0 turns it
   * off. Default: DURABLE_WARM_GRACE_MS, else 50 ms.
   */
  warmGraceMs?: number;
  /** Longest wait for a busy actor's lease (also capped by the remaining time). Default 15 s. */
  leaseWaitMs?: number;
  maxRetries?: number;
  /** No turn commits later than this before the function's timeout. Default 1 s. */
  safetyMarginMs?: number;
  /** Backoff of a failed queued message, by its delivery count. Default 1 s doubling to 60 s. */
  retryDelayMs?: (receiveCount: number) => number;
  /** CloudWatch namespace of the EMF metrics. Default "DurableLambda". */
  metricsNamespace?: string;
  /** Where log and metric lines go. Default: stdout, one raw line each. */
  write?: (line: string) => void;
}

export type DurableLambdaResult =
  | DurableInvokeResult
  | DurableUnparkResult
  | DurableRedriveResult
  | DurableMigrateResult
  | SweepResult
  | SqsBatchResult
  | SignalDeliveryResult;

/** The function Lambda calls, typed per event shape. */
export interface DurableLambdaHandler {
  (event: DurableInvokeEvent, context: LambdaContextLike): Promise<DurableInvokeResult>;
  (event: DurableUnparkEvent, context: LambdaContextLike): Promise<DurableUnparkResult>;
  (event: DurableRedriveEvent, context: LambdaContextLike): Promise<DurableRedriveResult>;
  (event: DurableMigrateEvent, context: LambdaContextLike): Promise<DurableMigrateResult>;
  (event: DurableSweepEvent, context: LambdaContextLike): Promise<SweepResult>;
  (event: SqsEventLike, context: LambdaContextLike): Promise<SqsBatchResult>;
  (event: EventBridgeEventLike, context: LambdaContextLike): Promise<SignalDeliveryResult>;
  (event: unknown, context: LambdaContextLike): Promise<DurableLambdaResult>;
}

interface Container {
  ports: AwsPorts;
  deadLetters: DeadLetterBox;
  owner: string;
  /** The actors this container committed in the last grace (the warm path outlives an invocation). */
  warm: WarmActors;
}

/** Ports built from the environment, shared by every handler of this container (warm starts reuse clients and sockets). */
const fromEnvironment = new Map<string, Container>();

// Lambda's Node runtime prefixes global console lines with time, request id and level; bare lines
// on stdout stay JSON, which CloudWatch extracts as EMF and Logs Insights reads as fields. Writes to
// a pipe or file are synchronous on Linux, so a line is out before the invocation resolves.
const defaultWrite = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/**
 * The one Lambda entry of a project: every actor type and every event the DurableFabric construct
 * wires (a direct sync invoke, the FIFO actor queue, the timer delay queue, the signal rule).
 * Freeze-safe: when the returned promise settles, nothing is left running.
 * @example export const handler = createLambdaHandler([counter, rateLimiter]);
 */
export function createLambdaHandler(
  actors: readonly AnyActorDefinition[],
  options: LambdaHandlerOptions = {},
): DurableLambdaHandler {
  // Checked at import, so a project with a duplicate actor name fails its cold start, not a request.
  new ActorRegistry(actors);
  const write = options.write ?? defaultWrite;
  let container: Container | undefined;

  const handler = async (event: unknown, context: LambdaContextLike): Promise<DurableLambdaResult> => {
    container ??= options.ports
      ? containerFor(options.ports, warmGrace(options))
      : containerFromEnvironment(options.aws ?? {}, warmGrace(options));
    const { ports } = container;
    const requestId = context.awsRequestId;
    const log = (fields: Record<string, unknown>): void => write(JSON.stringify({ ...fields, requestId }));
    const metrics = new LambdaMetrics({
      namespace: options.metricsNamespace ?? "DurableLambda",
      fabric: process.env[ENV.prefix] || "default",
      write,
      now: () => ports.clock.now(),
    });
    const fabric = fabricFor(actors, container, context, options, {
      onTurn: (entry) => {
        log({ level: entry.outcome === "failed" ? "warn" : "info", ...entry });
        metrics.turn(entry);
      },
      writeLog: write,
    });
    try {
      if (isDurableInvokeEvent(event)) return await invoke(event, fabric, metrics, log);
      if (isDurableUnparkEvent(event)) return await unparkActor(event, fabric, log);
      if (isDurableRedriveEvent(event)) return await redriveLetters(event, fabric, log);
      if (isDurableSweepEvent(event)) return await sweep(fabric, metrics, log);
      if (isDurableMigrateEvent(event))
        return await migrateActors(event, fabric, () => remainingMs(context), log);
      if (isSqsEvent(event)) {
        return await handleSqsEvent(event, {
          fabric,
          ports,
          deadLetters: container.deadLetters,
          metrics,
          log,
          retryDelayMs: options.retryDelayMs ?? defaultRetryDelay,
        });
      }
      if (isEventBridgeEvent(event)) return await deliverSignal(event, fabric, ports, metrics, log);
      throw new TypeError(
        `unsupported event: ${describeEvent(event)}; the function handles durable.invoke, durable.unpark, durable.redrive, durable.migrate and durable.sweep payloads, SQS batches and EventBridge signals`,
      );
    } finally {
      metrics.flush();
    }
  };
  return handler as DurableLambdaHandler;
}

/**
 * The actor definitions among a set of module namespaces (what a generated entry imports).
 * @example export const handler = createLambdaHandler(collectActors(await import("./actors/counter.ts")));
 */
export function collectActors(...modules: readonly Record<string, unknown>[]): AnyActorDefinition[] {
  const found: AnyActorDefinition[] = [];
  for (const mod of modules)
    for (const value of Object.values(mod))
      if (isActorDefinition(value) && !found.includes(value)) found.push(value);
  if (found.length === 0)
    throw new TypeError("no actor definitions found: export actor(...) definitions from the actor files");
  return found;
}

function containerFor(ports: AwsPorts, warmGraceMs: number): Container {
  const { clients, settings } = ports;
  const deadLetters = new DeadLetterBox({
    client: clients.sqs,
    queueUrl: settings.queueUrl,
    dlqUrl: settings.queueDlqUrl,
    maxReceives: settings.maxReceives,
    waitSeconds: 0,
  });
  const fn = process.env.AWS_LAMBDA_FUNCTION_NAME ?? "lambda";
  return {
    ports,
    deadLetters,
    owner: `${fn}:${randomUUID().slice(0, 8)}`,
    warm: new WarmActors({ graceMs: warmGraceMs }),
  };
}

/** The warm grace: the option, else DURABLE_WARM_GRACE_MS, else the default; a bad value fails the cold start. */
function warmGrace(options: LambdaHandlerOptions): number {
  const raw = options.warmGraceMs ?? process.env[WARM_GRACE_ENV];
  if (raw === undefined || raw === "") return DEFAULTS.warmGraceMs;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${WARM_GRACE_ENV} (warmGraceMs) must be a whole number of ms ≥ 0, got "${raw}"`);
  return value;
}

function containerFromEnvironment(aws: AwsPortsOptions, warmGraceMs: number): Container {
  // Read first (a missing variable fails here, naming it), so clients are built once per fabric.
  const settings = aws.settings ?? readAwsSettings(aws.env ?? process.env);
  const key = JSON.stringify(settings);
  const existing = fromEnvironment.get(key);
  if (existing) return existing;
  const created = containerFor(createAwsPorts({ ...aws, settings }), warmGraceMs);
  fromEnvironment.set(key, created);
  return created;
}

/**
 * A Fabric for one invocation: leases of DURABLE_LEASE_MS, renewed while a turn runs (commits are
 * fenced by epoch and expiry, so a holder that stopped renewing cannot commit), no turn commits
 * past the function's timeout minus a margin, and lease waits end before it.
 */
function fabricFor(
  actors: readonly AnyActorDefinition[],
  container: Container,
  context: LambdaContextLike,
  options: LambdaHandlerOptions,
  hooks: { onTurn: (entry: TurnLogEntry) => void; writeLog: (line: string) => void },
): Fabric {
  const { ports, owner } = container;
  const margin = options.safetyMarginMs ?? 1_000;
  const remaining = remainingMs(context);
  return new Fabric({
    ports,
    actors,
    owner,
    leaseMs: options.leaseMs ?? ports.settings.leaseMs,
    leaseWaitMs: Math.max(0, Math.min(options.leaseWaitMs ?? 15_000, remaining - margin)),
    maxRetries: options.maxRetries,
    deadline: () => ports.clock.now() + remainingMs(context) - margin,
    onTurn: hooks.onTurn,
    writeLog: hooks.writeLog,
    // EventBridge rules deliver signals on AWS; routing them here too would deliver them twice.
    routeSignals: false,
    warm: container.warm,
  });
}

function remainingMs(context: LambdaContextLike): number {
  const ms = context.getRemainingTimeInMillis();
  return Number.isFinite(ms) ? ms : DEFAULTS.functionTimeoutSeconds * 1000;
}

function defaultRetryDelay(receiveCount: number): number {
  return Math.min(1_000 * 2 ** Math.max(0, receiveCount - 1), 60_000);
}

function describeEvent(event: unknown): string {
  if (typeof event !== "object" || event === null) return typeof event;
  return `an object with keys ${Object.keys(event).slice(0, 8).join(", ") || "(none)"}`;
}
