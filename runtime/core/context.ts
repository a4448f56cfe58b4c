import type { ActorMessage, OutboxEntry, TimerRecord } from "../ports/messages.ts";
import type { StepRecord, StepStore } from "../ports/step-store.ts";
import type { ActorContext, ActorLogger, AlarmOptions, LogFields, StepInfo } from "./actor.ts";
import { CallCycleError, InvalidInputError } from "./errors.ts";
import { assertJson, type JsonObject, type JsonValue } from "./json.ts";
import { assertActorId, assertAsyncPayload, assertSignalPayload, assertSyncPayload } from "./limits.ts";
import type { ActorRegistry } from "./registry.ts";

/** How a context reaches the rest of the fabric for a synchronous call. */
export type SyncCall = (message: ActorMessage) => Promise<JsonValue>;

export interface ContextInit {
  actorId: string;
  actorType: string;
  version: number;
  message: ActorMessage;
  now: number;
  state: JsonObject;
  timers: Record<string, TimerRecord>;
  registry: ActorRegistry;
  call: SyncCall;
  steps: StepStore;
  log: ActorLogger;
}

/** A context plus the effects its handler produced; the turn keeps them only if the handler succeeds. */
export interface ContextHandle {
  ctx: ActorContext<JsonObject>;
  outbox: OutboxEntry[];
  timers: Record<string, TimerRecord>;
  /** Marks the context closed: effects after the handler returned are a bug, not a silent loss. */
  close(): void;
}

const SIGNAL_TYPE = /^[A-Za-z0-9._:-]{1,128}$/;

export function createContext(init: ContextInit): ContextHandle {
  const { actorId, actorType, message, registry } = init;
  const outbox: OutboxEntry[] = [];
  const timers: Record<string, TimerRecord> = { ...init.timers };
  let closed = false;
  let seq = 0;
  // Ids derive from the message id, so a retried turn produces the same ids and receivers dedupe them.
  const nextId = (what: string) => `${message.id}:${what}${seq++}`;
  let inStep: string | undefined;
  const guard = (what: string) => {
    if (closed)
      throw new InvalidInputError(`ctx.${what} was called after the handler returned`, {
        hint: "await every promise inside the handler",
      });
    // A recorded step is not re-run on replay, so an effect made inside it would be lost (and a
    // call inside it would shift the ids of later calls): effects belong after the step.
    if (inStep !== undefined)
      throw new InvalidInputError(`ctx.${what} was called inside ctx.step("${inStep}")`, {
        hint: "return what you need from the step and make the effect after it",
      });
  };
  let stepCache: Map<string, StepRecord> | undefined;
  const stepCounts = new Map<string, number>();

  const ctx: ActorContext<JsonObject> = {
    actorId,
    actorType,
    state: init.state,
    version: init.version,
    messageId: message.id,
    now: init.now,

    send(target, handler, input) {
      guard("send");
      assertActorId(target);
      const def = registry.resolveType(target);
      registry.resolveHandler(def, handler);
      if (input !== undefined) assertJson(input, "send input");
      assertAsyncPayload(input);
      const id = nextId("send");
      outbox.push({
        kind: "send",
        id,
        message: { id, actorId: target, actorType: def.name, handler, input, kind: "send", sentAt: init.now },
      });
      return id;
    },

    async call<T extends JsonValue = JsonValue>(
      target: string,
      handler: string,
      input?: JsonValue,
    ): Promise<T> {
      guard("call");
      assertActorId(target);
      const chain = [...(message.callChain ?? []), actorId];
      if (chain.includes(target)) {
        throw new CallCycleError(
          `call from ${actorId} to ${target} would deadlock: ${[...chain, target].join(" → ")}`,
          {
            hint: "use ctx.send for calls back up the chain",
          },
        );
      }
      const def = registry.resolveType(target);
      registry.resolveHandler(def, handler);
      if (input !== undefined) assertJson(input, "call input");
      assertSyncPayload(input);
      const result = await init.call({
        id: nextId("call"),
        actorId: target,
        actorType: def.name,
        handler,
        input,
        kind: "call",
        callChain: chain,
        sentAt: init.now,
      });
      return result as T;
    },

    setAlarm(when: Date | number, options: AlarmOptions = {}) {
      guard("setAlarm");
      const name = options.name ?? "default";
      const at = when instanceof Date ? when.getTime() : init.now + when;
      if (!Number.isFinite(at))
        throw new InvalidInputError(`setAlarm got an invalid time for timer "${name}"`);
      if (options.data !== undefined) assertJson(options.data, "alarm data");
      const timerId = nextId(`timer-${name}-`);
      const previous = timers[name];
      if (previous) {
        // The scheduler keys timers by id, so the old id stays scheduled until cancelled; should this
        // cancel be lost or land late, the old fire is still a stale no-op in the turn. Its entry id
        // derives from the new timer id rather than the sequence, so later ids of this handler keep
        // the values they had before replacing a name emitted a cancel.
        outbox.push({
          kind: "timer.cancel",
          id: `${timerId}:replaces`,
          actorId,
          name,
          timerId: previous.timerId,
        });
      }
      timers[name] = { timerId, at, data: options.data ?? null };
      outbox.push({ kind: "timer.set", id: timerId, actorId, actorType, name, timerId, at });
      return timerId;
    },

    cancelAlarm(name = "default") {
      guard("cancelAlarm");
      const previous = timers[name];
      if (!previous) return;
      delete timers[name];
      outbox.push({ kind: "timer.cancel", id: nextId("cancel"), actorId, name, timerId: previous.timerId });
    },

    alarms() {
      const view: Record<string, { at: number; data: JsonValue | null }> = {};
      for (const [name, t] of Object.entries(timers)) view[name] = { at: t.at, data: t.data ?? null };
      return view;
    },

    signal(type, detail = null) {
      guard("signal");
      if (!SIGNAL_TYPE.test(type))
        throw new InvalidInputError(`signal type ${JSON.stringify(type)} is not valid`);
      assertJson(detail, "signal detail");
      assertSignalPayload(detail);
      outbox.push({ kind: "signal", id: nextId("signal"), source: actorId, type, detail });
    },

    async step<T extends JsonValue>(name: string, fn: (info: StepInfo) => T | Promise<T>): Promise<T> {
      guard("step");
      const count = (stepCounts.get(name) ?? 0) + 1;
      stepCounts.set(name, count);
      const key = count === 1 ? name : `${name}#${count}`;
      stepCache ??= await init.steps.list(actorId, message.id);
      const recorded = stepCache.get(key);
      if (recorded) return recorded.result as T;
      inStep = name;
      let result: T;
      try {
        result = await fn({
          idempotencyKey: `${actorId}:${message.id}:${key}`,
          attempt: message.receiveCount ?? 1,
        });
      } finally {
        inStep = undefined;
      }
      assertJson(result === undefined ? null : result, `step "${name}" result`);
      const winner = await init.steps.record(actorId, message.id, {
        key,
        result: result ?? null,
        at: init.now,
      });
      stepCache.set(key, winner);
      return winner.result as T;
    },

    log: init.log,
  };

  return {
    ctx,
    outbox,
    timers,
    close() {
      closed = true;
    },
  };
}

/** A logger that writes one JSON line per call through `write`, tagged with the actor. */
export function jsonLogger(write: (line: string) => void, base: LogFields): ActorLogger {
  const emit =
    (level: string) =>
    (message: string, fields: LogFields = {}) =>
      write(JSON.stringify({ level, message, ...base, ...fields, time: new Date().toISOString() }));
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}
