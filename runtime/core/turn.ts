import type { Lease, LoadedActor, ProcessedMarker } from "../ports/actor-store.ts";
import type { FabricPorts } from "../ports/index.ts";
import type { ActorMessage, OutboxEntry, ParkedRecord, TimerRecord } from "../ports/messages.ts";
import type { ActorContext, AnyActorDefinition, FiredTimer } from "./actor.ts";
import { createContext, jsonLogger, type SyncCall } from "./context.ts";
import {
  ActorParkedError,
  DeadlineExceededError,
  type DurableError,
  LeaseLostError,
  RelayFailedError,
  type SerializedError,
  toDurableError,
  UnknownActorError,
  UnknownHandlerError,
  VersionConflictError,
} from "./errors.ts";
import { assertJson, cloneJson, type JsonObject, type JsonValue } from "./json.ts";
import { acquireAndLoad } from "./lease.ts";
import type { ActorRegistry } from "./registry.ts";
import { relayOrExplain } from "./relay.ts";
import { ALARM_HANDLER } from "./timer-message.ts";

export interface TurnSettings {
  /** Identifies this process; each turn appends a sequence so concurrent turns never share a lease. */
  owner: string;
  leaseMs: number;
  /** How long to wait for a lease another turn holds. */
  leaseWaitMs: number;
  /** Re-runs after a version conflict or a lost lease before giving up. */
  maxRetries: number;
  /** Epoch ms after which the turn must not commit (a Lambda's remaining time, minus a margin). */
  deadline?: number | undefined;
  /** Queue deliveries beyond this count park the actor when they fail. */
  maxReceives: number;
}

/** One JSON line per turn: what operators search for (DESIGN §8 logs). */
export interface TurnLogEntry {
  type: "turn";
  actorId: string;
  actorType: string;
  handlers: string[];
  messages: number;
  version: number;
  epoch: number;
  leaseWaitMs: number;
  durationMs: number;
  retries: number;
  outcome: "committed" | "unchanged" | "failed";
  error?: string | undefined;
}

export interface TurnEnv {
  ports: FabricPorts;
  registry: ActorRegistry;
  call: SyncCall;
  settings: TurnSettings;
  onTurn?: ((entry: TurnLogEntry) => void) | undefined;
  /** Where handler `ctx.log` lines go. */
  writeLog?: ((line: string) => void) | undefined;
}

export type MessageOutcome =
  | { messageId: string; status: "applied"; result: JsonValue; version: number }
  | {
      messageId: string;
      status: "duplicate";
      result?: JsonValue | undefined;
      error?: SerializedError | undefined;
      version: number;
    }
  | { messageId: string; status: "failed"; error: DurableError; parked: boolean }
  | { messageId: string; status: "skipped" };

export interface TurnResult {
  actorId: string;
  outcomes: MessageOutcome[];
  /** The actor's version after the turn. */
  version: number;
  committed: boolean;
}

let turnSeq = 0;

/**
 * One turn: lease → load → run each message in order on a draft → commit (state, timers, markers
 * and outbox together, releasing the lease) → relay the outbox. Messages after the first failure
 * are skipped so per-actor order holds; the successful prefix still commits.
 */
export async function runTurn(
  env: TurnEnv,
  actorId: string,
  messages: readonly ActorMessage[],
): Promise<TurnResult> {
  const { ports, registry, settings } = env;
  const started = ports.clock.now();
  const def = registry.resolveType(actorId, messages[0]?.actorType);
  const owner = `${settings.owner}#${++turnSeq}`;
  let retries = 0;
  let epoch = 0;
  let leaseWaitMs = 0;
  for (;;) {
    const { lease, loaded, waitedMs } = await acquireAndLoad({
      store: ports.store,
      clock: ports.clock,
      actorId,
      owner,
      leaseMs: settings.leaseMs,
      waitMs: settings.leaseWaitMs,
      messageIds: messages.filter((m) => !m.transient).map((m) => m.id),
    });
    leaseWaitMs += waitedMs;
    epoch = lease.epoch;
    try {
      const draft = await applyMessages(env, def, lease, loaded, messages);
      const previousOutbox = loaded.record.outbox;
      const relayList = [...previousOutbox, ...draft.outbox];
      let version = loaded.record.version;
      if (draft.changed) {
        if (settings.deadline !== undefined && ports.clock.now() > settings.deadline) {
          throw new DeadlineExceededError(`turn on ${actorId} ran past its deadline; nothing was committed`, {
            hint: "raise the function timeout or make the handler faster",
          });
        }
        version += 1;
        await ports.store.commit({
          lease,
          actorType: def.name,
          expectedVersion: loaded.record.version,
          version,
          state: draft.state,
          timers: draft.timers,
          parked: draft.parked,
          outbox: relayList,
          markers: draft.markers.map((m) => ({ ...m, version })),
          release: true,
          now: ports.clock.now(),
        });
      } else {
        await ports.store.releaseLease(lease);
      }
      if (relayList.length > 0) await relayOrExplain(ports, actorId, version, relayList);
      const outcomes = draft.outcomes.map((o) => (o.status === "applied" ? { ...o, version } : o));
      report(env, {
        def,
        actorId,
        messages,
        version,
        epoch,
        leaseWaitMs,
        started,
        retries,
        outcome: draft.changed ? "committed" : "unchanged",
        outcomes,
      });
      return { actorId, outcomes, version, committed: draft.changed };
    } catch (error) {
      if (error instanceof RelayFailedError) throw error;
      if (
        (error instanceof VersionConflictError || error instanceof LeaseLostError) &&
        retries < settings.maxRetries
      ) {
        retries++;
        await ports.store.releaseLease(lease).catch(() => undefined);
        continue;
      }
      await ports.store.releaseLease(lease).catch(() => undefined);
      report(env, {
        def,
        actorId,
        messages,
        version: loaded.record.version,
        epoch,
        leaseWaitMs,
        started,
        retries,
        outcome: "failed",
        error,
      });
      throw error;
    }
  }
}

interface Draft {
  state: JsonObject;
  timers: Record<string, TimerRecord>;
  parked: ParkedRecord | null;
  outbox: OutboxEntry[];
  markers: Omit<ProcessedMarker, "version">[];
  outcomes: MessageOutcome[];
  changed: boolean;
}

async function applyMessages(
  env: TurnEnv,
  def: AnyActorDefinition,
  lease: Lease,
  loaded: LoadedActor,
  messages: readonly ActorMessage[],
): Promise<Draft> {
  const { record, processed } = loaded;
  if (record.actorType !== null && record.actorType !== def.name) {
    throw new UnknownActorError(`actor ${record.actorId} is a ${record.actorType}, not a ${def.name}`);
  }
  const draft: Draft = {
    state: record.version === 0 ? initialState(def) : (cloneJson(record.state) as JsonObject),
    timers: { ...record.timers },
    parked: record.parked,
    outbox: [],
    markers: [],
    outcomes: [],
    changed: false,
  };
  let failed = false;
  for (const message of messages) {
    if (failed) {
      draft.outcomes.push({ messageId: message.id, status: "skipped" });
      continue;
    }
    const marker = processed.get(message.id);
    if (marker) {
      draft.outcomes.push({
        messageId: message.id,
        status: "duplicate",
        result: marker.result,
        error: marker.error,
        version: marker.version,
      });
      continue;
    }
    if (draft.parked && message.kind !== "call") {
      failed = true;
      const error = new ActorParkedError(
        `actor ${record.actorId} is parked after message ${draft.parked.messageId} failed`,
        {
          hint: "inspect the dead-letter queue, fix the cause, then unpark the actor",
        },
      );
      draft.outcomes.push({ messageId: message.id, status: "failed", error, parked: true });
      continue;
    }
    const now = env.ports.clock.now();
    let timers = draft.timers;
    let firedTimer: FiredTimer | undefined;
    if (message.kind === "timer") {
      const fired = settleTimer(draft, message, now, def.name);
      if (typeof fired === "object") {
        firedTimer = fired;
        timers = { ...draft.timers };
        delete timers[fired.name];
      } else {
        // A cancelled, replaced or early fire changes nothing (an early one was scheduled again).
        draft.outcomes.push({ messageId: message.id, status: "applied", result: null, version: 0 });
        continue;
      }
    }
    const handle = createContext({
      actorId: record.actorId,
      actorType: def.name,
      version: record.version,
      message,
      now,
      state: cloneJson(draft.state),
      timers,
      registry: env.registry,
      call: env.call,
      steps: env.ports.steps,
      log: jsonLogger(env.writeLog ?? (() => undefined), {
        actorId: record.actorId,
        messageId: message.id,
        epoch: lease.epoch,
      }),
    });
    try {
      const result = await runHandler(def, message, handle.ctx, firedTimer);
      handle.close();
      const state = assertJson(handle.ctx.state, "state");
      if (typeof state !== "object" || state === null || Array.isArray(state)) {
        throw new UnknownActorError(`the state of ${def.name} must stay a JSON object`);
      }
      const value = result === undefined ? null : assertJson(result, "handler result");
      // A handler that changed nothing (a read) commits nothing: no version, no write on AWS.
      const changed =
        firedTimer !== undefined ||
        handle.outbox.length > 0 ||
        JSON.stringify(state) !== JSON.stringify(draft.state);
      draft.outcomes.push({ messageId: message.id, status: "applied", result: value, version: 0 });
      if (!changed) continue;
      draft.state = state;
      draft.timers = handle.timers;
      draft.outbox.push(...handle.outbox);
      if (!message.transient) draft.markers.push({ messageId: message.id, result: value });
      draft.changed = true;
    } catch (cause) {
      handle.close();
      failed = true;
      const error = toDurableError(cause);
      const parks = message.kind !== "call" && (message.receiveCount ?? 1) >= env.settings.maxReceives;
      if (parks) {
        draft.parked = { messageId: message.id, handler: message.handler, at: now, error: error.toJSON() };
        draft.changed = true;
      }
      draft.outcomes.push({ messageId: message.id, status: "failed", error, parked: parks });
    }
  }
  return draft;
}

function initialState(def: AnyActorDefinition): JsonObject {
  const state = def.options.state();
  assertJson(state, `initial state of ${def.name}`);
  return cloneJson(state);
}

/** Decides what a timer fire means now: run it, ignore it (cancelled or replaced), or wait (early). */
function settleTimer(
  draft: Draft,
  message: ActorMessage,
  now: number,
  actorType: string,
): FiredTimer | "stale" | "early" {
  const timer = message.timer;
  const current = timer ? draft.timers[timer.name] : undefined;
  if (!timer || !current || current.timerId !== timer.timerId) return "stale";
  if (now < current.at) {
    // A backend fired early (clock skew): schedule it again rather than run before its time.
    draft.outbox.push({
      kind: "timer.set",
      id: `${current.timerId}:again:${now}`,
      actorId: message.actorId,
      actorType,
      name: timer.name,
      timerId: current.timerId,
      at: current.at,
    });
    return "early";
  }
  return { name: timer.name, data: current.data ?? null, scheduledAt: current.at };
}

async function runHandler(
  def: AnyActorDefinition,
  message: ActorMessage,
  ctx: ActorContext<JsonObject>,
  firedTimer: FiredTimer | undefined,
): Promise<unknown> {
  if (message.handler === ALARM_HANDLER) {
    if (firedTimer && def.options.alarm) await def.options.alarm(ctx, firedTimer);
    return null;
  }
  // A queued message may not have come through Fabric.invoke's checks (a hand-written SQS body, a row
  // in the local file): own handlers only (never toString or constructor), and plain JSON input
  // only, so a __proto__ key never reaches the handler.
  const handler = Object.hasOwn(def.options.handlers, message.handler)
    ? def.options.handlers[message.handler]
    : undefined;
  if (!handler) throw new UnknownHandlerError(`actor "${def.name}" has no handler "${message.handler}"`);
  const input = message.input === undefined ? undefined : assertJson(message.input, "input");
  return await handler(ctx, input);
}

function report(
  env: TurnEnv,
  r: {
    def: AnyActorDefinition;
    actorId: string;
    messages: readonly ActorMessage[];
    version: number;
    epoch: number;
    leaseWaitMs: number;
    started: number;
    retries: number;
    outcome: TurnLogEntry["outcome"];
    outcomes?: MessageOutcome[];
    error?: unknown;
  },
): void {
  if (!env.onTurn) return;
  env.onTurn({
    type: "turn",
    actorId: r.actorId,
    actorType: r.def.name,
    handlers: [...new Set(r.messages.map((m) => m.handler))],
    messages: r.messages.length,
    version: r.version,
    epoch: r.epoch,
    leaseWaitMs: r.leaseWaitMs,
    durationMs: env.ports.clock.now() - r.started,
    retries: r.retries,
    outcome: r.outcome,
    error: r.error === undefined ? undefined : toDurableError(r.error).code,
  });
}
