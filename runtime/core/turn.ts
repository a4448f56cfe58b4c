import type { ActorRecord } from "../ports/actor-store.ts";
import type { FabricPorts } from "../ports/index.ts";
import type { ActorMessage, OutboxEntry, ParkedRecord } from "../ports/messages.ts";
import { applyMessages, type MigrationRun } from "./apply-messages.ts";
import type { SyncCall } from "./context.ts";
import {
  DeadlineExceededError,
  type DurableError,
  LeaseLostError,
  RelayFailedError,
  type SerializedError,
  StoreBusyError,
  VersionConflictError,
} from "./errors.ts";
import type { JsonValue } from "./json.ts";
import { acquireAndLoad } from "./lease.ts";
import { LeaseKeeper } from "./lease-keeper.ts";
import { LIMITS } from "./limits.ts";
import type { ActorRegistry } from "./registry.ts";
import { relayOrExplain, relayOutbox } from "./relay.ts";
import { report, type TurnLogEntry } from "./turn-report.ts";
import type { WarmActors } from "./warm-actors.ts";
import { confirmWarm, takenOver } from "./warm-turn.ts";

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

export type { TurnLogEntry } from "./turn-report.ts";

export interface TurnEnv {
  ports: FabricPorts;
  registry: ActorRegistry;
  call: SyncCall;
  settings: TurnSettings;
  onTurn?: ((entry: TurnLogEntry) => void) | undefined;
  /** Where handler `ctx.log` lines go. */
  writeLog?: ((line: string) => void) | undefined;
  /** This process's warm actors (the grace after a commit); absent: every turn acquires and loads. */
  warm?: WarmActors | undefined;
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
  /** Not attempted: behind an earlier failure of its actor; it comes back with it. */
  | { messageId: string; status: "skipped" }
  /** Kept in the actor's waiting list (the actor is parked, or held messages are ahead of it). */
  | { messageId: string; status: "held" };

export interface TurnResult {
  actorId: string;
  outcomes: MessageOutcome[];
  /** The actor's version after the turn. */
  version: number;
  committed: boolean;
  /** Held messages this turn took off the waiting list (applied, or dead-lettered when one parked the actor). */
  drained: number;
  /** Held messages still waiting after the turn. */
  waiting: number;
  parked: ParkedRecord | null;
  /** The schema of the state after the turn (committed, or only in memory for a turn that wrote nothing). */
  schema: number;
  /** The migration this turn ran (null: none), with its error if it failed. */
  migration: MigrationRun | null;
}

export interface TurnOptions {
  /** A synchronous call (one message): it runs on a parked actor too and never parks or holds. */
  sync?: boolean;
  /** Clear the parked flag (an operator's unpark); the waiting list then drains in order. */
  unpark?: boolean;
  /** Run no handler; park on the first pending message if this failure ended its last permitted delivery. */
  parkWith?: DurableError;
  /** The actor type when there are no messages to name it (unpark, sweep). */
  actorType?: string;
  /**
   * Dead letters to run again: put at the head of the actor's waiting list (ahead of every later
   * message), unless already applied or already there. They run when the actor is not parked.
   */
  redrive?: readonly ActorMessage[];
  /** Run no handler: bring the stored state to the code's schema and commit it (`durable migrate`). */
  migrate?: boolean;
}

let turnSeq = 0;

/**
 * One turn: lease → load → run each message in order on a draft → commit (state, timers, markers,
 * held messages and outbox together, releasing the lease) → relay the outbox. An actor's waiting
 * list runs before its delivered messages; messages after the first failure are skipped or held so
 * per-actor order holds; the successful prefix still commits.
 */
export async function runTurn(
  env: TurnEnv,
  actorId: string,
  messages: readonly ActorMessage[],
  options: TurnOptions = {},
): Promise<TurnResult> {
  const { ports, registry, settings } = env;
  const started = ports.clock.now();
  const def = registry.resolveType(actorId, messages[0]?.actorType ?? options.actorType);
  const owner = `${settings.owner}#${++turnSeq}`;
  const messageIds = [...messages, ...(options.redrive ?? [])].filter((m) => !m.transient).map((m) => m.id);
  // Operator turns (unpark, redrive, a park after a failure) always read what is stored.
  const ordinary = messages.length > 0 && !options.unpark && !options.parkWith && !options.redrive?.length;
  let warm = ordinary ? env.warm?.take(actorId, started) : undefined;
  let retries = 0;
  let epoch = 0;
  let leaseWaitMs = 0;
  for (;;) {
    const fromCache = warm;
    warm = undefined;
    const { lease, loaded, waitedMs } = fromCache
      ? { lease: fromCache.lease, loaded: { record: fromCache.record, processed: new Map() }, waitedMs: 0 }
      : await acquireAndLoad({
          store: ports.store,
          clock: ports.clock,
          actorId,
          owner,
          leaseMs: settings.leaseMs,
          waitMs: settings.leaseWaitMs,
          messageIds,
        });
    leaseWaitMs += waitedMs;
    epoch = lease.epoch;
    // A warm lease runs only to the end of its grace: renew it halfway there if the handlers are slow.
    const firstRenewal = fromCache ? Math.floor((lease.expiresAt - ports.clock.now()) / 2) : undefined;
    const keeper = new LeaseKeeper(ports.store, ports.clock, lease, settings.leaseMs, firstRenewal);
    try {
      const { record } = loaded;
      const redrive = options.redrive ?? [];
      const drains =
        !options.sync &&
        !options.parkWith &&
        !options.migrate &&
        (record.waiting?.count ?? 0) > 0 &&
        (record.parked === null || options.unpark === true || redrive.length > 0);
      const waitingHead = drains ? await ports.store.loadWaiting(actorId, LIMITS.drainPerTurn) : null;
      const draft = await applyMessages(env, def, lease, loaded, messages, {
        sync: options.sync ?? false,
        waitingHead,
        unpark: options.unpark ?? false,
        parkWith: options.parkWith,
        redrive,
        maxHeldBytes: ports.store.limits.maxHeldBytesPerCommit,
        migrate: options.migrate ?? false,
      });
      await keeper.stop();
      const relayList = [...record.outbox, ...draft.outbox];
      let version = record.version;
      let committed: ActorRecord | undefined;
      let graceUntil: number | undefined;
      if (draft.changed) {
        const now = ports.clock.now();
        if (settings.deadline !== undefined && now > settings.deadline) {
          throw new DeadlineExceededError(`turn on ${actorId} ran past its deadline; nothing was committed`, {
            hint: "raise the function timeout or make the handler faster",
          });
        }
        version += 1;
        // Only a state kept inline is cached: a large one lives in an object whose key the store picks.
        graceUntil =
          ordinary && env.warm?.wants(actorId, now) && fitsInlineForSure(draft.state)
            ? now + env.warm.graceMs
            : undefined;
        const commit = {
          lease,
          actorType: def.name,
          expectedVersion: record.version,
          version,
          state: draft.state,
          timers: draft.timers,
          parked: draft.parked,
          outbox: relayList,
          markers: draft.markers.map((m) => ({ ...m, version })),
          waiting: draft.waiting,
          hold: draft.hold,
          drained: draft.drained,
          release: true,
          graceUntil,
          now,
          schema: draft.schema,
          loadedStateRef: record.stateRef,
        };
        await ports.store.commit(commit);
        const { state, timers, parked, outbox, waiting } = commit;
        committed = {
          actorId,
          actorType: def.name,
          version,
          state,
          timers,
          parked,
          outbox,
          waiting,
          updatedAt: now,
          schema: draft.schema,
        };
      } else if (fromCache) {
        await confirmWarm(env, fromCache, loaded, messageIds);
      } else {
        await ports.store.releaseLease(lease);
      }
      let cleared = relayList.length === 0;
      if (relayList.length > 0) {
        if (options.sync) cleared = await relayOrExplain(ports, actorId, version, relayList, messages);
        else cleared = await relayQueued(env, actorId, version, relayList);
      }
      if (committed && graceUntil !== undefined) {
        const kept = { ...committed, outbox: cleared ? [] : relayList };
        env.warm?.keep({ lease: { ...lease, expiresAt: graceUntil }, record: kept }, ports.clock.now());
      } else if (fromCache && !draft.changed) {
        env.warm?.keep(fromCache, ports.clock.now());
      }
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
        warm: fromCache !== undefined,
        outcome: draft.changed ? "committed" : "unchanged",
        outcomes,
        parked: draft.parked !== record.parked ? draft.parked : null,
        held: draft.hold.length,
        drained: draft.drained.length,
        migrated: draft.changed && draft.migration && !draft.migration.error ? draft.migration : undefined,
      });
      return {
        actorId,
        outcomes,
        version,
        committed: draft.changed,
        drained: draft.drained.length,
        waiting: draft.waiting?.count ?? 0,
        parked: draft.parked,
        schema: draft.schema,
        migration: draft.migration,
      };
    } catch (error) {
      await keeper.stop();
      if (error instanceof RelayFailedError) throw error;
      if (fromCache && isRetryable(error)) {
        // Nothing was written: the actor moved on without this process (another one took the lease
        // from its grace), or a message was a repeat. Today's path settles it; it does not count as
        // a retry, and the grace lease needs no release (any acquire takes it over).
        if (takenOver(error, lease)) env.warm?.lost(actorId, ports.clock.now());
        continue;
      }
      if (isRetryable(error) && retries < settings.maxRetries) {
        retries++;
        await ports.store.releaseLease(lease).catch(() => undefined);
        // Throttling or a concurrent transaction clears up in milliseconds; a conflict needs no wait.
        if (error instanceof StoreBusyError)
          await ports.clock.sleep(Math.round(5 * 2 ** retries * Math.random()));
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
        warm: fromCache !== undefined,
        outcome: "failed",
        error,
      });
      throw error;
    }
  }
}

/**
 * A queued turn's deliveries are settled by its commit: a failed relay leaves the effects in the
 * outbox for the sweeper (or the actor's next turn), and redelivering the messages would not help.
 */
async function relayQueued(
  env: TurnEnv,
  actorId: string,
  version: number,
  entries: readonly OutboxEntry[],
): Promise<boolean> {
  try {
    return await relayOutbox(env.ports, actorId, version, entries);
  } catch (error) {
    env.writeLog?.(
      JSON.stringify({
        level: "warn",
        message: "relay failed; the outbox is kept and relayed again by the sweeper",
        actorId,
        version,
        error: String(error),
      }),
    );
    return false;
  }
}

/** Well under the inline limit even before compression, so the store certainly kept it in the record. */
function fitsInlineForSure(state: JsonValue): boolean {
  return JSON.stringify(state).length <= LIMITS.inlineStateBytes / 2;
}

/** Nothing was written and a fresh attempt may succeed: the version moved, the lease was lost, the store was busy. */
function isRetryable(error: unknown): boolean {
  return (
    error instanceof VersionConflictError ||
    error instanceof LeaseLostError ||
    error instanceof StoreBusyError
  );
}
