import type { Lease } from "../ports/actor-store.ts";
import type { ActorMessage } from "../ports/messages.ts";
import type { ActorContext, AnyActorDefinition, FiredTimer } from "./actor.ts";
import type { Draft } from "./apply-messages.ts";
import { createContext, jsonLogger } from "./context.ts";
import { type DurableError, toDurableError, UnknownActorError, UnknownHandlerError } from "./errors.ts";
import { assertJson, cloneJson, type JsonObject, type JsonValue } from "./json.ts";
import { ALARM_HANDLER } from "./timer-message.ts";
import type { TurnEnv } from "./turn.ts";

export type MessageRun = { ok: true; result: JsonValue } | { ok: false; error: DurableError };

/**
 * Runs one message's handler on the draft. On success the draft takes the new state, timers,
 * effects and marker (a handler that changed nothing leaves the draft as it was); on failure the
 * draft is untouched.
 */
export async function runMessage(
  env: TurnEnv,
  def: AnyActorDefinition,
  lease: Lease,
  draft: Draft,
  message: ActorMessage,
  loadedVersion: number,
): Promise<MessageRun> {
  const now = env.ports.clock.now();
  let timers = draft.timers;
  let firedTimer: FiredTimer | undefined;
  if (message.kind === "timer") {
    const fired = settleTimer(draft, message, now, def.name);
    if (typeof fired !== "object") {
      // A cancelled, replaced or early fire changes nothing (an early one is scheduled again).
      return { ok: true, result: null };
    }
    firedTimer = fired;
    timers = { ...draft.timers };
    delete timers[fired.name];
  }
  const handle = createContext({
    actorId: message.actorId,
    actorType: def.name,
    version: loadedVersion,
    message,
    now,
    state: cloneJson(draft.state),
    timers,
    registry: env.registry,
    call: env.call,
    steps: env.ports.steps,
    log: jsonLogger(env.writeLog ?? (() => undefined), {
      actorId: message.actorId,
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
    if (changed) {
      draft.state = state;
      draft.timers = handle.timers;
      draft.outbox.push(...handle.outbox);
      if (!message.transient) draft.markers.push({ messageId: message.id, result: value });
      draft.changed = true;
    }
    return { ok: true, result: value };
  } catch (cause) {
    handle.close();
    return { ok: false, error: toDurableError(cause) };
  }
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
