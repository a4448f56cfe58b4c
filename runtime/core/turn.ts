import type { FabricPorts } from "../ports/index.ts";
import type { ActorMessage, OutboxEntry, ParkedRecord } from "../ports/messages.ts";
import { applyMessages } from "./apply-messages.ts";
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
      messageIds: [...messages, ...(options.redrive ?? [])].filter((m) => !m.transient).map((m) => m.id),
    });
    leaseWaitMs += waitedMs;
    epoch = lease.epoch;
    const keeper = new LeaseKeeper(ports.store, ports.clock, lease, settings.leaseMs);
    try {
      const { record } = loaded;
      const redrive = options.redrive ?? [];
      const drains =
        !options.sync &&
        !options.parkWith &&
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
      });
      await keeper.stop();
      const relayList = [...record.outbox, ...draft.outbox];
      let version = record.version;
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
          now: ports.clock.now(),
        });
      } else {
        await ports.store.releaseLease(lease);
      }
      if (relayList.length > 0) {
        if (options.sync) await relayOrExplain(ports, actorId, version, relayList, messages);
        else await relayQueued(env, actorId, version, relayList);
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
        outcome: draft.changed ? "committed" : "unchanged",
        outcomes,
        parked: draft.parked !== record.parked ? draft.parked : null,
        held: draft.hold.length,
        drained: draft.drained.length,
      });
      return {
        actorId,
        outcomes,
        version,
        committed: draft.changed,
        drained: draft.drained.length,
        waiting: draft.waiting?.count ?? 0,
        parked: draft.parked,
      };
    } catch (error) {
      await keeper.stop();
      if (error instanceof RelayFailedError) throw error;
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
): Promise<void> {
  try {
    await relayOutbox(env.ports, actorId, version, entries);
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
  }
}

/** Nothing was written and a fresh attempt may succeed: the version moved, the lease was lost, the store was busy. */
function isRetryable(error: unknown): boolean {
  return (
    error instanceof VersionConflictError ||
    error instanceof LeaseLostError ||
    error instanceof StoreBusyError
  );
}
