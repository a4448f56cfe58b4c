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
import { type DurableError, UnknownActorError } from "./errors.ts";
import { assertJson, cloneJson, type JsonObject } from "./json.ts";
import { assertNotAhead, storedSchema } from "./migrations.ts";
import { QueuedTurn } from "./queued-turn.ts";
import type { MessageOutcome, TurnEnv } from "./turn.ts";

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

function initialState(def: AnyActorDefinition): JsonObject {
  const state = def.options.state();
  assertJson(state, `initial state of ${def.name}`);
  return cloneJson(state);
}
