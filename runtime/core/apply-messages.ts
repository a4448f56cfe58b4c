import type { Lease, LoadedActor, ProcessedMarker } from "../ports/actor-store.ts";
import type { ActorMessage, OutboxEntry, ParkedRecord, TimerRecord } from "../ports/messages.ts";
import type { ActorContext, AnyActorDefinition, FiredTimer } from "./actor.ts";
import { createContext, jsonLogger } from "./context.ts";
import { ActorParkedError, toDurableError, UnknownActorError, UnknownHandlerError } from "./errors.ts";
import { assertJson, cloneJson, type JsonObject } from "./json.ts";
import { ALARM_HANDLER } from "./timer-message.ts";
import type { MessageOutcome, TurnEnv } from "./turn.ts";

/**
 * The middle of a turn: runs each message in order on a draft of the loaded actor and collects
 * what the commit writes. Nothing here touches storage except workflow steps (through ctx.step).
 */
export interface Draft {
  state: JsonObject;
  timers: Record<string, TimerRecord>;
  parked: ParkedRecord | null;
  outbox: OutboxEntry[];
  markers: Omit<ProcessedMarker, "version">[];
  outcomes: MessageOutcome[];
  changed: boolean;
}

export async function applyMessages(
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
