import { resolve } from "node:path";
import { type Clock, systemClock } from "../../ports/clock.ts";
import type { FabricPorts } from "../../ports/index.ts";
import { LocalActorStore } from "./actor-store.ts";
import { LocalDb } from "./database.ts";
import { LocalFleetIndex } from "./fleet-index.ts";
import { LocalMessageQueue } from "./message-queue.ts";
import { LocalSignalBus } from "./signal-bus.ts";
import { LocalStateBlobs } from "./state-blobs.ts";
import { LocalStepStore } from "./step-store.ts";
import { TimerLoop, type TimerLoopOptions } from "./timer-loop.ts";
import { LocalTimerScheduler } from "./timer-scheduler.ts";

export type { ActorSchemaRow, ActorSummary, HistoryEntry, HistoryQuery } from "./actor-history.ts";
export { LocalActorStore } from "./actor-store.ts";
export { LocalFleetIndex } from "./fleet-index.ts";
export { LocalMessageQueue, type QueueStats } from "./message-queue.ts";
export { type LocalSignal, LocalSignalBus, type RecentSignalsQuery } from "./signal-bus.ts";
export { LocalStateBlobs } from "./state-blobs.ts";
export { LocalStepStore } from "./step-store.ts";
export { TimerLoop, type TimerLoopOptions } from "./timer-loop.ts";
export { LocalTimerScheduler } from "./timer-scheduler.ts";

/** Where a project keeps its local fabric, relative to the project directory. */
export const LOCAL_DB_PATH = ".durable/local.db";

export interface LocalPortsOptions {
  /** The database file (created with its directory when missing), or ":memory:". Default `.durable/local.db`. */
  path?: string;
  clock?: Clock;
  /** Deliveries a message is permitted before its failure parks its actor (default 5, like the deployed queue). */
  maxReceives?: number;
  /** Deliveries past maxReceives before the queue's own redrive dead-letters a message (default LIMITS.redriveSlackReceives). */
  redriveSlackReceives?: number;
  /**
   * Keep states too large for a row (LIMITS.inlineStateBytes, DynamoDB's item) in a blobs table, up
   * to LIMITS.stateBytes, as a deployed fabric keeps them in its S3 bucket. Off, they are refused
   * like on a fabric without a bucket. The CLI, `durable dev` and the test fabric turn it on.
   */
  largeState?: boolean;
  /** Default LIMITS.stateBytes with largeState, else LIMITS.inlineStateBytes. */
  maxStateBytes?: number;
  /** Versions of history kept per actor for `state tail` (default 1000). */
  historyLimit?: number;
  /** Signals kept for the dev server's view (default 1000). */
  signalLimit?: number;
  busyTimeoutMs?: number;
  durability?: "full" | "normal";
  /** How often a waiting receive polls (default 20 ms). */
  pollMs?: number;
}

/** The local fabric: every port on one SQLite file, plus what the CLI and dev server read. */
export interface LocalPorts extends FabricPorts {
  store: LocalActorStore;
  steps: LocalStepStore;
  queue: LocalMessageQueue;
  timers: LocalTimerScheduler;
  signals: LocalSignalBus;
  /** Pages of actors by parked, type and last active (`durable state list`, the inspector). */
  fleet: LocalFleetIndex;
  clock: Clock;
  /** The absolute database path, or ":memory:". */
  path: string;
  /** A loop that fires due timers into the queue; start it in the one process that serves the fabric. */
  timerLoop(options?: TimerLoopOptions): TimerLoop;
  close(): void;
  [Symbol.dispose](): void;
}

/**
 * Opens (and creates when needed) the local fabric. Several processes may open the same file:
 * `durable dev`, `durable invoke` and `durable state` share it safely.
 * @example
 * using ports = openLocalPorts({ path: ".durable/local.db" });
 * const record = await ports.store.read("counter-1");
 */
export function openLocalPorts(options: LocalPortsOptions = {}): LocalPorts {
  const path = options.path === ":memory:" ? ":memory:" : resolve(options.path ?? LOCAL_DB_PATH);
  const clock = options.clock ?? systemClock;
  const db = new LocalDb(path, { busyTimeoutMs: options.busyTimeoutMs, durability: options.durability });
  const queue = new LocalMessageQueue(db, clock, {
    maxReceives: options.maxReceives,
    redriveSlackReceives: options.redriveSlackReceives,
    pollMs: options.pollMs,
  });
  const timers = new LocalTimerScheduler(db, clock, queue);
  const close = () => db.close();
  return {
    store: new LocalActorStore(db, {
      maxStateBytes: options.maxStateBytes,
      historyLimit: options.historyLimit,
      blobs: options.largeState ? new LocalStateBlobs(db, clock) : undefined,
    }),
    steps: new LocalStepStore(db, clock),
    queue,
    timers,
    signals: new LocalSignalBus(db, options.signalLimit),
    fleet: new LocalFleetIndex(db),
    clock,
    path,
    timerLoop: (loopOptions) => new TimerLoop(timers, clock, loopOptions),
    close,
    [Symbol.dispose]: close,
  };
}
