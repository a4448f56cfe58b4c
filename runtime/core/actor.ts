import type { JsonObject, JsonValue } from "./json.ts";
import {
  checkMigrations,
  type MigrationChain,
  type MigrationMap,
  type RequiredMigrations,
} from "./migrations.ts";

/** Fields of structured log lines. */
export type LogFields = Record<string, JsonValue | undefined>;

export interface ActorLogger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export interface AlarmOptions {
  /** Many named timers per actor; setting a name again replaces that timer. Default "default". */
  name?: string;
  data?: JsonValue;
}

export interface FiredTimer {
  name: string;
  data: JsonValue | null;
  /** When it was due (epoch ms); it fires at or after this, never before. */
  scheduledAt: number;
}

export interface StepInfo {
  /** Stable across retries of the same message: pass it to external APIs as their idempotency key. */
  idempotencyKey: string;
  attempt: number;
}

/**
 * What a handler sees. `state` is a draft: it is committed when the handler returns without
 * error, together with every send, timer and signal the handler made.
 */
export interface ActorContext<S> {
  readonly actorId: string;
  readonly actorType: string;
  /** The draft state; mutate it or replace it. */
  state: S;
  /** The committed version this turn started from (0 for a new actor). */
  readonly version: number;
  /** The id of the message being handled: stable across redeliveries. */
  readonly messageId: string;
  /** The fabric clock's time at the start of the handler (epoch ms). */
  readonly now: number;
  /**
   * Sends an async message, delivered after this turn commits, in order per target actor.
   * @example ctx.send("inventory-main", "release", { sku: "A", qty: 1 })
   */
  send(actorId: string, handler: string, input?: JsonValue): string;
  /**
   * Calls another actor synchronously and waits for its result. A call back into an actor already
   * in the call chain fails with CallCycleError instead of deadlocking.
   * @example const { ok } = await ctx.call<{ ok: boolean }>("inventory-main", "reserve", { sku: "A" })
   */
  call<T extends JsonValue = JsonValue>(actorId: string, handler: string, input?: JsonValue): Promise<T>;
  /**
   * Sets a named timer: a Date is absolute, a number is a delay in milliseconds.
   * @example ctx.setAlarm(30_000, { name: "half-open" })
   */
  setAlarm(when: Date | number, options?: AlarmOptions): string;
  /** Cancels a named timer; a fire that races the cancel does nothing. */
  cancelAlarm(name?: string): void;
  /** The actor's pending timers by name. */
  alarms(): Record<string, { at: number; data: JsonValue | null }>;
  /**
   * Publishes a signal (an EventBridge event on AWS) after the turn commits.
   * @example ctx.signal("circuit.opened", { downstream: "payments" })
   */
  signal(type: string, detail?: JsonValue): void;
  /**
   * Runs a workflow step once: its result is recorded as soon as it returns and replayed when the
   * message is retried, so a crash after the step does not repeat its effect.
   * @example const charge = await ctx.step("charge", ({ idempotencyKey }) => payments.charge(order, idempotencyKey))
   */
  step<T extends JsonValue>(name: string, fn: (info: StepInfo) => T | Promise<T>): Promise<T>;
  readonly log: ActorLogger;
}

/**
 * A handler's type as the registry sees it. The method-signature form makes the input parameter
 * bivariant, so handlers declare any input type while the map stays free of `any`.
 */
export type AnyHandler<S> = {
  bivarianceHack(ctx: ActorContext<S>, input: unknown): unknown;
}["bivarianceHack"];

export type HandlerMap<S> = { [name: string]: AnyHandler<S> };

export interface ActorOptions<S extends JsonObject, H extends HandlerMap<S>> {
  /** The initial state of a new actor, in the latest schema. */
  state: () => S;
  /**
   * The version of the state's shape (default 1). Raise it when the shape changes and add the
   * migration that produces it: a stored state of an older schema is migrated when it is loaded.
   */
  schema?: number;
  /**
   * Migrations keyed by the schema each produces; each takes the state of the schema before it.
   * They run in order inside the turn, and the migrated state commits with it (a read-only call
   * migrates in memory and writes nothing). Keep them pure and synchronous.
   * @example migrate: { 2: (old: BoardV1) => ({ ...old, season: 1 }) }
   */
  migrate?: MigrationMap;
  handlers: H;
  /** Runs when a timer set with ctx.setAlarm fires. (Method syntax keeps definitions assignable to AnyActorDefinition.) */
  alarm?(ctx: ActorContext<S>, timer: FiredTimer): void | Promise<void>;
  /** The handler `durable invoke <id>` runs when none is named. Defaults to the first handler. */
  defaultHandler?: keyof H & string;
  /**
   * Signals this actor type receives: for each signal type, which actor gets it (return null to
   * drop it) and which handler runs with the signal's detail as input. On AWS an EventBridge rule
   * delivers them; locally the fabric routes them the same way.
   * @example signals: { "order.paid": { to: (d) => `shipping-${d.region}`, handler: "ship" } }
   */
  signals?: { [type: string]: SignalRoute<keyof H & string> };
}

export interface SignalRoute<K extends string = string> {
  to(detail: JsonValue): string | null;
  handler: K;
}

export interface ActorDefinition<S extends JsonObject = JsonObject, H extends HandlerMap<S> = HandlerMap<S>> {
  readonly kind: "durable.actor";
  readonly name: string;
  readonly options: ActorOptions<S, H>;
  readonly handlerNames: readonly string[];
  readonly defaultHandler: string;
  /** The state's current schema (1 when the definition names none). */
  readonly schema: number;
  readonly migrate: MigrationMap;
}

/** Any concrete actor definition, as the registry and the turn use it (handlers are bivariant). */
export interface AnyActorDefinition {
  readonly kind: "durable.actor";
  readonly name: string;
  readonly options: Omit<ActorOptions<JsonObject, HandlerMap<JsonObject>>, "defaultHandler">;
  readonly handlerNames: readonly string[];
  readonly defaultHandler: string;
  readonly schema: number;
  readonly migrate: MigrationMap;
}

/**
 * The typed form of `schema` and `migrate`: the compiler checks that every schema from 2 to
 * `schema` has its migration, that each migration takes what the one before returns, and that the
 * latest returns the state type.
 */
export interface VersionedStateOptions<S, N extends number, M> {
  schema?: N;
  migrate?: M & NoInfer<MigrationChain<M, S, N> & RequiredMigrations<N>>;
}

const ACTOR_NAME = /^[a-z][a-z0-9-]{0,47}$/;

/**
 * Defines an actor type. Handler input and output types are inferred for the typed client. A
 * state whose shape changed names its `schema` and the `migrate` steps from older ones.
 * @example
 * export const counter = actor("counter", {
 *   state: () => ({ count: 0 }),
 *   handlers: {
 *     increment(ctx, input: { by?: number } = {}) {
 *       ctx.state.count += input.by ?? 1;
 *       return { count: ctx.state.count };
 *     },
 *   },
 * });
 */
export function actor<
  S extends JsonObject,
  H extends HandlerMap<S>,
  const N extends number = 1,
  M extends MigrationMap = Record<never, never>,
>(name: string, options: ActorOptions<S, H> & VersionedStateOptions<S, N, M>): ActorDefinition<S, H> {
  if (!ACTOR_NAME.test(name)) {
    throw new TypeError(
      `actor name ${JSON.stringify(name)} must be lowercase letters, digits and "-", starting with a letter`,
    );
  }
  const handlerNames = Object.keys(options.handlers);
  if (handlerNames.length === 0) throw new TypeError(`actor "${name}" needs at least one handler`);
  for (const handler of handlerNames) {
    if (handler.startsWith("$"))
      throw new TypeError(`handler names may not start with "$" (${name}.${handler})`);
  }
  const defaultHandler = options.defaultHandler ?? handlerNames[0];
  if (defaultHandler === undefined || !handlerNames.includes(defaultHandler)) {
    throw new TypeError(
      `actor "${name}": defaultHandler "${String(defaultHandler)}" is not one of its handlers`,
    );
  }
  const schema = checkMigrations(name, options.schema, options.migrate);
  const migrate: MigrationMap = Object.freeze({ ...options.migrate });
  return Object.freeze({
    kind: "durable.actor",
    name,
    options,
    handlerNames,
    defaultHandler,
    schema,
    migrate,
  });
}

export function isActorDefinition(value: unknown): value is AnyActorDefinition {
  return (
    typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "durable.actor"
  );
}

/** The input type a handler declares (undefined when it takes none). */
export type HandlerInput<F> = F extends (ctx: never, input: infer I) => unknown
  ? I
  : F extends (ctx: never) => unknown
    ? undefined
    : never;

/** The resolved output type of a handler. */
export type HandlerOutput<F> = F extends (...args: never[]) => infer O ? Awaited<O> : never;

/**
 * The arguments a client method takes for a handler: none, an optional input, or a required one.
 * Branching on the rest parameters sees `(ctx, input?: X)` and `(ctx, input: X = {})` as optional.
 */
export type HandlerArgs<F> = F extends (ctx: never, ...rest: infer A) => unknown
  ? A extends []
    ? []
    : [] extends A
      ? [input?: Exclude<A[0], undefined>]
      : A extends [infer I]
        ? undefined extends I
          ? [input?: I]
          : [input: I]
        : never
  : never;
