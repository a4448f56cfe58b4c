import type { FabricPorts } from "../ports/index.ts";
import type { ActorMessage, ParkedRecord } from "../ports/messages.ts";
import type { AnyActorDefinition } from "./actor.ts";
import { errorFromJSON, SchemaTooNewError, toDurableError } from "./errors.ts";
import { invokeMessage } from "./invoke-message.ts";
import {
  type AsyncInvokeResponse,
  type InvokeRequest,
  type InvokeResponse,
  type Invoker,
  newMessageId,
  type SyncInvokeResponse,
} from "./invoker.ts";
import type { JsonValue } from "./json.ts";
import { aheadResult, type MigrateResult, migrateResult } from "./migrate-actor.ts";
import { ActorRegistry } from "./registry.ts";
import { routingSignalBus } from "./signal-routing.ts";
import {
  type MessageOutcome,
  runTurn,
  type TurnEnv,
  type TurnLogEntry,
  type TurnResult,
  type TurnSettings,
} from "./turn.ts";
import { WarmActors } from "./warm-actors.ts";

export interface FabricOptions {
  ports: FabricPorts;
  actors: readonly AnyActorDefinition[];
  /** This process's name in leases; defaults to a random one. */
  owner?: string;
  leaseMs?: number;
  leaseWaitMs?: number;
  maxRetries?: number;
  /** Epoch ms after which no turn may commit (set per Lambda invocation). */
  deadline?: () => number | undefined;
  onTurn?: (entry: TurnLogEntry) => void;
  writeLog?: (line: string) => void;
  /**
   * Deliver signals to subscribing actors from this process (the local fabric). On AWS this is
   * off: EventBridge rules deliver them.
   */
  routeSignals?: boolean;
  /**
   * The warm path: a turn that commits keeps the actor's lease this long, so this process's next
   * turn on the actor runs on what it committed and commits in one write, with nothing read
   * first. Any other process takes the lease over at once (nobody waits for a grace). 0 (the
   * default) turns it off.
   */
  warmGraceMs?: number;
  /** The warm actors of a process with several Fabrics (a Lambda container builds one per invocation); wins over warmGraceMs. */
  warm?: WarmActors;
}

/**
 * What became of each message of a batch: done (applied, or already applied: acknowledge it),
 * held (kept in its actor's waiting list: acknowledge it), parked (it parked its actor and is on
 * its way to the dead-letter queue: acknowledge it), retry (it failed: redeliver it) or skipped
 * (not attempted, behind an earlier failure of its actor: release it, uncounted where the queue can).
 */
export type BatchVerdict = "done" | "held" | "parked" | "retry" | "skipped";

/** What `redrive` did. */
export interface RedriveResult {
  actorId: string;
  /** Put back at the head of the waiting list. */
  redriven: number;
  /** Left out: their message id had already been applied. */
  alreadyApplied: number;
  /** Waiting messages (the redriven ones first) that ran right away because the actor was not parked. */
  drained: number;
  stillWaiting: number;
  /** The actor's park, if it is (still, or again) parked. */
  parked: ParkedRecord | null;
  version: number;
}

/** What `unpark` did. */
export interface UnparkResult {
  actorId: string;
  /** False when the actor was not parked (its waiting messages, if any, still ran). */
  wasParked: boolean;
  /** The message it had been parked on. */
  parkedOn: ParkedRecord | null;
  /** Messages that were waiting behind the park. */
  waiting: number;
  /** Of those, how many ran (applied, or dead-lettered by a new park). */
  drained: number;
  /** Still waiting: the actor parked again, or the drain was interrupted (the sweeper continues it). */
  stillWaiting: number;
  /** Set when a waiting message failed on its last attempt and parked the actor again. */
  parkedAgain: ParkedRecord | null;
  version: number;
}

/**
 * Runs actors on a set of ports: sync invokes run a turn here, async invokes go to the queue,
 * queued batches run one turn per actor. Backend-neutral: the local fabric and the Lambda entry
 * both drive this class.
 */
export class Fabric implements Invoker {
  readonly registry: ActorRegistry;
  readonly ports: FabricPorts;
  readonly #options: FabricOptions;
  /** Turns on one actor in this process run one after another instead of polling the lease. */
  readonly #tails = new Map<string, Promise<unknown>>();
  readonly #warm: WarmActors | undefined;

  constructor(options: FabricOptions) {
    this.#options = options;
    this.#warm =
      options.warm ?? (options.warmGraceMs ? new WarmActors({ graceMs: options.warmGraceMs }) : undefined);
    this.registry = new ActorRegistry(options.actors);
    this.ports = options.routeSignals
      ? {
          ...options.ports,
          signals: routingSignalBus(options.ports.signals, options.ports.queue, () => this.registry),
        }
      : options.ports;
  }

  invoke(request: InvokeRequest & { mode: "async" }): Promise<AsyncInvokeResponse>;
  invoke(request: InvokeRequest & { mode?: "sync" | undefined }): Promise<SyncInvokeResponse>;
  invoke(request: InvokeRequest): Promise<InvokeResponse>;
  async invoke(request: InvokeRequest): Promise<InvokeResponse> {
    const message = this.toMessage(request);
    const base = {
      messageId: message.id,
      actorId: message.actorId,
      actorType: message.actorType ?? "",
      handler: message.handler,
    };
    if (request.mode === "async") {
      await this.ports.queue.send([message]);
      return { mode: "async", ...base, queued: true };
    }
    const { outcome, version } = await this.#callOne(message);
    return {
      mode: "sync",
      ...base,
      result: resultOf(outcome),
      version,
      duplicate: outcome.status === "duplicate",
    };
  }

  /** Validates a request and turns it into a message, before anything is written. */
  toMessage(request: InvokeRequest): ActorMessage {
    return invokeMessage(this.registry, request, this.ports.clock.now());
  }

  /**
   * Applies queued messages: grouped by actor, one turn per actor, in order. A turn that fails as a
   * whole (not in a handler) on a message's last permitted delivery is followed by a turn that
   * parks the actor on it, so no failure at any layer lets the actor's next message run past it.
   */
  async applyBatch(messages: readonly ActorMessage[]): Promise<Map<string, BatchVerdict>> {
    const groups = new Map<string, ActorMessage[]>();
    for (const m of messages) {
      const group = groups.get(m.actorId);
      if (group) group.push(m);
      else groups.set(m.actorId, [m]);
    }
    const verdicts = new Map<string, BatchVerdict>();
    await Promise.all(
      [...groups].map(async ([actorId, group]) => {
        const result = await this.#serialized(actorId, () => this.#runQueued(actorId, group));
        for (const m of group) verdicts.set(m.id, "retry");
        for (const o of result?.outcomes ?? []) verdicts.set(o.messageId, verdictOf(o));
      }),
    );
    return verdicts;
  }

  /**
   * Clears an actor's parked flag through a fenced, version-conditional turn, then applies the
   * messages that waited behind the park, in order, once each.
   * @example const { waiting, drained } = await fabric.unpark("order-7");
   */
  async unpark(actorId: string, actorType?: string): Promise<UnparkResult> {
    const before = await this.ports.store.read(actorId);
    const type = actorType ?? before?.actorType ?? undefined;
    const first = await this.#serialized(actorId, () =>
      runTurn(this.#env(), actorId, [], { unpark: true, actorType: type }),
    );
    const after = await this.#drain(actorId, type, first);
    return {
      actorId,
      wasParked: before?.parked != null,
      parkedOn: before?.parked ?? null,
      waiting: before?.waiting?.count ?? 0,
      drained: first.drained + after.drained,
      stillWaiting: after.waiting,
      parkedAgain: after.parked,
      version: after.version,
    };
  }

  /**
   * Puts dead letters back ahead of their actor's later messages (the head of its waiting list)
   * through a fenced turn; with `unpark`, also clears the park. Messages already applied, or
   * already put back, are left out, so redriving twice applies nothing twice. An actor that is
   * not parked (or is unparked here) runs them at once, in order.
   * @example await fabric.redrive("order-7", [deadLetter.message], { unpark: true });
   */
  async redrive(
    actorId: string,
    messages: readonly ActorMessage[],
    options: { unpark?: boolean; actorType?: string } = {},
  ): Promise<RedriveResult> {
    const before = await this.ports.store.read(actorId);
    const type = options.actorType ?? before?.actorType ?? messages[0]?.actorType ?? undefined;
    const put = await this.#serialized(actorId, () =>
      runTurn(this.#env(), actorId, [], { redrive: messages, unpark: options.unpark, actorType: type }),
    );
    const after = await this.#drain(actorId, type, put);
    return {
      actorId,
      redriven: put.outcomes.filter((o) => o.status === "held").length,
      alreadyApplied: put.outcomes.filter((o) => o.status === "duplicate").length,
      drained: after.drained,
      stillWaiting: after.waiting,
      parked: after.parked,
      version: after.version,
    };
  }

  /** Turns with no new message until the waiting list is empty, the actor parks, or a turn makes no progress. */
  async #drain(
    actorId: string,
    actorType: string | undefined,
    last: TurnResult,
  ): Promise<{ drained: number; waiting: number; parked: ParkedRecord | null; version: number }> {
    let { waiting, parked, version } = last;
    let drained = 0;
    while (waiting > 0 && parked === null) {
      const next = await this.#serialized(actorId, () => runTurn(this.#env(), actorId, [], { actorType }));
      ({ waiting, parked, version } = next);
      if (next.drained === 0) break;
      drained += next.drained;
    }
    return { drained, waiting, parked, version };
  }

  /**
   * Brings one actor's stored state to its type's current schema through a fenced turn that runs
   * no handler (`durable migrate`). A state already current is left as it is, so migrating twice
   * writes once; a migration that throws parks the actor, naming the migration.
   * @example const { status, from, to } = await fabric.migrate("leaderboard-global");
   */
  async migrate(actorId: string, actorType?: string): Promise<MigrateResult> {
    const def = this.registry.resolveType(actorId, actorType);
    try {
      const turn = await this.#serialized(actorId, () =>
        runTurn(this.#env(), actorId, [], { migrate: true, actorType: def.name }),
      );
      return migrateResult(actorId, def, turn);
    } catch (error) {
      if (error instanceof SchemaTooNewError) return aheadResult(actorId, def, error);
      throw error;
    }
  }

  /**
   * A turn with no new message: relays an outbox a crash left behind and applies waiting messages
   * of an unparked actor (the sweeper's work).
   */
  async settle(actorId: string, actorType: string): Promise<TurnResult> {
    return this.#serialized(actorId, () => runTurn(this.#env(), actorId, [], { actorType }));
  }

  async #runQueued(actorId: string, group: readonly ActorMessage[]): Promise<TurnResult | undefined> {
    try {
      return await runTurn(this.#env(), actorId, group);
    } catch (error) {
      this.#logTurnError(actorId, error);
      const lastChance = group.some((m) => (m.receiveCount ?? 1) >= this.ports.queue.maxReceives);
      if (!lastChance) return undefined;
      try {
        return await runTurn(this.#env(), actorId, group, { parkWith: toDurableError(error) });
      } catch (parkError) {
        // Not even the park could commit: the delivery comes back, and one past its last permitted
        // delivery parks the actor without running.
        this.#logTurnError(actorId, parkError);
        return undefined;
      }
    }
  }

  #logTurnError(actorId: string, error: unknown): void {
    this.#options.writeLog?.(
      JSON.stringify({ level: "error", message: "turn failed", actorId, error: String(error) }),
    );
  }

  async #callOne(message: ActorMessage): Promise<{ outcome: MessageOutcome; version: number }> {
    const run = () => runTurn(this.#env(), message.actorId, [message], { sync: true });
    // Nested calls skip the in-process queue: a call waiting on it could deadlock, the lease wait cannot.
    const result = message.callChain?.length ? await run() : await this.#serialized(message.actorId, run);
    const outcome = result.outcomes[0];
    if (!outcome) throw new Error(`turn on ${message.actorId} returned no outcome`);
    if (outcome.status === "failed") throw outcome.error;
    if (outcome.status === "skipped") throw new Error(`message ${message.id} was skipped`);
    return { outcome, version: result.version };
  }

  #serialized<T>(actorId: string, run: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(actorId) ?? Promise.resolve();
    const next = previous.then(run, run);
    const tail = next.catch(() => undefined);
    this.#tails.set(actorId, tail);
    tail.then(() => {
      if (this.#tails.get(actorId) === tail) this.#tails.delete(actorId);
    });
    return next;
  }

  #env(): TurnEnv {
    const o = this.#options;
    const settings: TurnSettings = {
      owner: this.owner,
      leaseMs: o.leaseMs ?? 10_000,
      leaseWaitMs: o.leaseWaitMs ?? 15_000,
      maxRetries: o.maxRetries ?? 8,
      deadline: o.deadline?.(),
      maxReceives: this.ports.queue.maxReceives,
    };
    return {
      ports: this.ports,
      registry: this.registry,
      settings,
      onTurn: o.onTurn,
      writeLog: o.writeLog,
      warm: this.#warm,
      call: async (message) => resultOf((await this.#callOne(message)).outcome),
    };
  }

  get owner(): string {
    if (this.#owner === undefined)
      this.#owner = this.#options.owner ?? `fabric-${newMessageId().slice(0, 8)}`;
    return this.#owner;
  }
  #owner: string | undefined;
}

function verdictOf(outcome: MessageOutcome): BatchVerdict {
  switch (outcome.status) {
    case "applied":
    case "duplicate":
      return "done";
    case "held":
      return "held";
    case "skipped":
      return "skipped";
    case "failed":
      return outcome.parked ? "parked" : "retry";
  }
}

function resultOf(outcome: MessageOutcome): JsonValue {
  if (outcome.status === "applied") return outcome.result;
  if (outcome.status === "duplicate") {
    if (outcome.error) throw errorFromJSON(outcome.error);
    return outcome.result ?? null;
  }
  throw new Error(`no result for message ${outcome.messageId} (${outcome.status})`);
}
