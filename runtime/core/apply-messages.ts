import type { Lease, LoadedActor, ProcessedMarker, WaitingPage } from "../ports/actor-store.ts";
import type {
  ActorMessage,
  HeldMessage,
  OutboxEntry,
  ParkedRecord,
  TimerRecord,
  WaitingSummary,
} from "../ports/messages.ts";
import type { AnyActorDefinition } from "./actor.ts";
import {
  DeliveriesExhaustedError,
  type DurableError,
  MigrationFailedError,
  toDurableError,
  UnknownActorError,
} from "./errors.ts";
import { assertJson, cloneJson, type JsonObject } from "./json.ts";
import { assertNotAhead, migrateState, storedSchema } from "./migrations.ts";
import { runMessage } from "./run-message.ts";
import type { MessageOutcome, TurnEnv } from "./turn.ts";
import { heldPosition, redrivePosition, withoutDelivery } from "./waiting.ts";

/**
 * The middle of a turn: runs each message in order on a draft of the loaded actor and collects
 * what the commit writes. Nothing here touches storage except workflow steps (through ctx.step).
 */
export interface Draft {
  state: JsonObject;
  /** The schema of `state`: the stored one until a migration brings it to the code's. */
  schema: number;
  /** The migration this turn ran (null: none), and its error if it failed. */
  migration: MigrationRun | null;
  timers: Record<string, TimerRecord>;
  parked: ParkedRecord | null;
  waiting: WaitingSummary | null;
  hold: HeldMessage[];
  drained: HeldMessage[];
  outbox: OutboxEntry[];
  markers: Omit<ProcessedMarker, "version">[];
  outcomes: MessageOutcome[];
  changed: boolean;
}

export interface MigrationRun {
  from: number;
  to: number;
  error?: DurableError | undefined;
}

export interface ApplyOptions {
  /** A synchronous call: it runs even on a parked actor, never parks it and never holds. */
  sync: boolean;
  /** Held messages from the head of the waiting list, applied before the delivered ones (null: not read). */
  waitingHead: WaitingPage | null;
  /** Dead letters to put at the head of the waiting list (see TurnOptions.redrive). */
  redrive: readonly ActorMessage[];
  /** Clear the parked flag in this turn (an operator's unpark). */
  unpark: boolean;
  /**
   * Run no handler: the turn that delivered these messages failed outside any handler. If the
   * first pending one was on its last permitted delivery, the actor parks on it with this error.
   */
  parkWith?: DurableError | undefined;
  /** Most bytes of messages this turn may hold. */
  maxHeldBytes: number;
  /** Run no handler: bring the stored state to the code's schema (`durable migrate`). */
  migrate: boolean;
}

export async function applyMessages(
  env: TurnEnv,
  def: AnyActorDefinition,
  lease: Lease,
  loaded: LoadedActor,
  messages: readonly ActorMessage[],
  options: ApplyOptions,
): Promise<Draft> {
  const { record, processed } = loaded;
  if (record.actorType !== null && record.actorType !== def.name) {
    throw new UnknownActorError(`actor ${record.actorId} is a ${record.actorType}, not a ${def.name}`);
  }
  const stored = storedSchema(record.schema);
  // A rollback below a schema this actor already has: nothing runs, nothing is written.
  if (record.version > 0) assertNotAhead(def, record.actorId, stored);
  const draft: Draft = {
    state: record.version === 0 ? initialState(def) : (cloneJson(record.state) as JsonObject),
    schema: record.version === 0 ? def.schema : stored,
    migration: null,
    timers: { ...record.timers },
    parked: options.unpark ? null : record.parked,
    waiting: record.waiting,
    hold: [],
    drained: [],
    outbox: [],
    markers: [],
    outcomes: [],
    changed: options.unpark && record.parked !== null,
  };
  const pending: ActorMessage[] = [];
  for (const message of messages) {
    const marker = processed.get(message.id);
    if (!marker) {
      pending.push(message);
      continue;
    }
    draft.outcomes.push({
      messageId: message.id,
      status: "duplicate",
      result: marker.result,
      error: marker.error,
      version: marker.version,
    });
  }
  const turn = new QueuedTurn(env, def, lease, draft, options, record.version);
  if (options.migrate) turn.migrateOnly();
  else if (options.redrive.length > 0) turn.redrive(options.redrive, processed);
  else if (options.sync) await turn.runCalls(pending);
  else if (options.parkWith) turn.parkInstead(pending, options.parkWith);
  else if (draft.parked) turn.hold(pending);
  else await turn.runQueued(pending);
  return draft;
}

/** One turn's decisions about queued messages: run, hold behind a parked actor, or park on one. */
class QueuedTurn {
  #heldBytes = 0;
  readonly #skipped: ActorMessage[] = [];

  constructor(
    private readonly env: TurnEnv,
    private readonly def: AnyActorDefinition,
    private readonly lease: Lease,
    private readonly draft: Draft,
    private readonly options: ApplyOptions,
    private readonly loadedVersion: number,
  ) {}

  async runCalls(calls: readonly ActorMessage[]): Promise<void> {
    let failed = false;
    for (const message of calls) {
      if (failed) {
        this.draft.outcomes.push({ messageId: message.id, status: "skipped" });
        continue;
      }
      const error = await this.#run(message);
      if (error) {
        failed = true;
        // A state that cannot be migrated fails every call alike: the actor parks at once, so its
        // queued messages wait for the fix instead of each failing its way to the dead-letter queue.
        const parks = error instanceof MigrationFailedError && this.draft.parked === null;
        if (parks) this.#parkUnrun(message.id, message.handler, error);
        this.draft.outcomes.push({ messageId: message.id, status: "failed", error, parked: parks });
      }
    }
  }

  /**
   * `durable migrate`: brings the stored state to the code's schema and commits it, or parks the
   * actor naming the migration that failed. A state already current changes nothing.
   */
  migrateOnly(): void {
    if (this.loadedVersion === 0) return;
    const error = this.#migrate();
    if (!error) {
      if (this.draft.migration) this.draft.changed = true;
    } else if (this.draft.parked === null) {
      const { from, to } = this.draft.migration ?? { from: this.draft.schema, to: this.def.schema };
      this.#parkUnrun(`$migrate:${from}-${to}`, "$migrate", error);
    }
  }

  /**
   * The waiting list first (bounded per turn), then the delivered messages, in order. After the
   * first failure nothing more runs: delivered messages behind a failed held message, or behind
   * a message that parked the actor, are held (acknowledged, kept in order); behind an ordinary
   * failure they are skipped and come back with it.
   */
  async runQueued(delivered: readonly ActorMessage[]): Promise<void> {
    const { held: head, complete } = this.options.waitingHead ?? { held: [], complete: false };
    const waiting = this.draft.waiting;
    if (this.options.waitingHead && complete && waiting && waiting.count !== head.length) {
      // The store holds exactly these: the count is brought back in line if it ever drifted.
      this.draft.waiting = { ...waiting, count: head.length };
      this.draft.changed = true;
    }
    // Delivered messages may run in this turn only if nothing unloaded is still waiting ahead of them.
    const runnable = complete || head.length >= (this.draft.waiting?.count ?? 0) ? delivered : [];
    const behind = runnable === delivered ? [] : [...delivered];
    const queue: { message: ActorMessage; held?: HeldMessage }[] = [
      ...head.map((held) => ({ message: held.message, held })),
      ...runnable.map((message) => ({ message })),
    ];
    let stop: "hold" | "skip" | undefined;
    for (const { message, held } of queue) {
      if (stop) {
        if (!held) (stop === "hold" ? behind : this.#skipped).push(message);
        continue;
      }
      const receives = message.receiveCount ?? 1;
      if (!held && receives > this.env.settings.maxReceives) {
        this.#park(
          message,
          new DeliveriesExhaustedError(
            `message ${message.id} came back after its last permitted delivery (${this.env.settings.maxReceives}) failed outside its handler`,
            { hint: "see the turn log for that delivery (a crash, a timeout, an unreachable store)" },
          ),
          receives,
        );
        stop = "hold";
        continue;
      }
      const error = await this.#run(message, held);
      if (!error) {
        if (held) this.#drain(held, 0);
        continue;
      }
      if (held) {
        const failures = (this.draft.waiting?.headFailures ?? 0) + 1;
        if (failures >= this.env.settings.maxReceives) {
          this.#park(message, error, failures);
          this.#drain(held, 0);
        } else if (this.draft.waiting) {
          this.draft.waiting = { ...this.draft.waiting, headFailures: failures };
          this.draft.changed = true;
        }
        stop = "hold";
      } else if (receives >= this.env.settings.maxReceives) {
        this.#park(message, error, receives);
        stop = "hold";
      } else {
        this.draft.outcomes.push({ messageId: message.id, status: "failed", error, parked: false });
        stop = "skip";
      }
    }
    for (const message of this.#skipped)
      this.draft.outcomes.push({ messageId: message.id, status: "skipped" });
    this.hold(behind);
  }

  /**
   * Puts dead letters back at the head of the waiting list, in the order given, so each runs before
   * its actor's later messages. A message already applied (its marker exists) or already at the
   * head (a redrive repeated) is left out, so redriving twice applies nothing twice.
   */
  redrive(messages: readonly ActorMessage[], processed: ReadonlyMap<string, ProcessedMarker>): void {
    const present = new Set((this.options.waitingHead?.held ?? []).map((h) => h.message.id));
    const stamp = this.env.ports.clock.now();
    messages.forEach((message, i) => {
      const marker = processed.get(message.id);
      if (marker) {
        this.draft.outcomes.push({ messageId: message.id, status: "duplicate", version: marker.version });
        return;
      }
      if (!present.has(message.id)) {
        present.add(message.id);
        this.draft.hold.push({
          position: redrivePosition(stamp, i, message.id),
          message: withoutDelivery(message),
        });
        const waiting = this.draft.waiting;
        this.draft.waiting = {
          count: (waiting?.count ?? 0) + 1,
          through: waiting?.through ?? "",
          headFailures: 0,
        };
        this.draft.changed = true;
      }
      this.draft.outcomes.push({ messageId: message.id, status: "held" });
    });
  }

  /** A turn-level failure on the delivery: park on the first message if that was its last, hold the rest. */
  parkInstead(pending: readonly ActorMessage[], error: DurableError): void {
    const [first, ...rest] = pending;
    if (!first) return;
    if ((this.draft.waiting?.count ?? 0) > 0 || this.draft.parked) {
      // Held messages are ahead of it, so the failure may well have been theirs: it waits behind them.
      this.hold(pending);
      return;
    }
    const receives = first.receiveCount ?? 1;
    if (receives < this.env.settings.maxReceives) {
      this.draft.outcomes.push({ messageId: first.id, status: "failed", error, parked: false });
      for (const message of rest) this.draft.outcomes.push({ messageId: message.id, status: "skipped" });
      return;
    }
    this.#park(first, error, receives);
    this.hold(rest);
  }

  /** Appends messages to the waiting list in delivery order; what does not fit this turn comes back. */
  hold(messages: readonly ActorMessage[]): void {
    let full = false;
    for (const message of messages) {
      const waiting = this.draft.waiting;
      const position = heldPosition(message, waiting?.through ?? "");
      if (waiting && position <= waiting.through) {
        // A redelivery of a message this actor already holds (its acknowledgement was lost).
        this.draft.outcomes.push({ messageId: message.id, status: "held" });
        continue;
      }
      const bytes = JSON.stringify(message).length;
      if (full || (this.#heldBytes > 0 && this.#heldBytes + bytes > this.options.maxHeldBytes)) {
        full = true;
        this.draft.outcomes.push({ messageId: message.id, status: "skipped" });
        continue;
      }
      this.#heldBytes += bytes;
      this.draft.hold.push({ position, message: withoutDelivery(message) });
      this.draft.waiting = {
        count: (waiting?.count ?? 0) + 1,
        through: position,
        headFailures: waiting?.headFailures ?? 0,
      };
      this.draft.outcomes.push({ messageId: message.id, status: "held" });
      this.draft.changed = true;
    }
  }

  /** Parks the actor on a message and sends it to the dead-letter queue through the outbox. */
  #park(message: ActorMessage, error: DurableError, receiveCount: number): void {
    const now = this.env.ports.clock.now();
    this.draft.parked = { messageId: message.id, handler: message.handler, at: now, error: error.toJSON() };
    this.draft.outbox.push({
      kind: "deadLetter",
      // The committing version makes each park's letter its own: a message redriven and parked
      // again is a new dead letter, not a repeat for the queue to drop.
      id: `${message.id}:dead-letter:v${this.loadedVersion + 1}`,
      message: withoutDelivery(message),
      reason: `${error.code}: ${error.message}`,
      receiveCount,
    });
    this.draft.outcomes.push({ messageId: message.id, status: "failed", error, parked: true });
    this.draft.changed = true;
  }

  /** Parks the actor on something that is no queued message (a sync call, a migration): no dead letter. */
  #parkUnrun(messageId: string, handler: string, error: DurableError): void {
    const at = this.env.ports.clock.now();
    this.draft.parked = { messageId, handler, at, error: error.toJSON(), deadLettered: false };
    this.draft.changed = true;
  }

  /** Brings the draft to the code's schema before a handler sees it; it commits only with a change. */
  #migrate(): DurableError | undefined {
    const draft = this.draft;
    if (draft.schema >= this.def.schema) return undefined;
    const run: MigrationRun = { from: draft.schema, to: this.def.schema };
    draft.migration = run;
    try {
      draft.state = migrateState(this.def, this.lease.actorId, draft.state, draft.schema);
    } catch (error) {
      run.error = toDurableError(error);
      return run.error;
    }
    draft.schema = this.def.schema;
    return undefined;
  }

  #drain(held: HeldMessage, headFailures: number): void {
    const waiting = this.draft.waiting;
    this.draft.drained.push(held);
    if (waiting) this.draft.waiting = { ...waiting, count: Math.max(0, waiting.count - 1), headFailures };
    this.draft.changed = true;
  }

  /** Runs one message on the draft; records a delivered message's result, returns its error if it failed. */
  async #run(message: ActorMessage, held?: HeldMessage): Promise<DurableError | undefined> {
    const migration = this.#migrate();
    if (migration) return migration;
    const run = await runMessage(this.env, this.def, this.lease, this.draft, message, this.loadedVersion);
    if (!run.ok) return run.error;
    if (!held)
      this.draft.outcomes.push({ messageId: message.id, status: "applied", result: run.result, version: 0 });
    return undefined;
  }
}

function initialState(def: AnyActorDefinition): JsonObject {
  const state = def.options.state();
  assertJson(state, `initial state of ${def.name}`);
  return cloneJson(state);
}
