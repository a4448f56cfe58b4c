import type { FabricPorts } from "../ports/index.ts";
import type { ActorMessage } from "../ports/messages.ts";
import type { AnyActorDefinition } from "./actor.ts";
import { applyMessages } from "./apply-messages.ts";
import type { SyncCall } from "./context.ts";
import {
  DeadlineExceededError,
  type DurableError,
  LeaseLostError,
  RelayFailedError,
  type SerializedError,
  toDurableError,
  VersionConflictError,
} from "./errors.ts";
import type { JsonValue } from "./json.ts";
import { acquireAndLoad } from "./lease.ts";
import type { ActorRegistry } from "./registry.ts";
import { relayOrExplain } from "./relay.ts";

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
