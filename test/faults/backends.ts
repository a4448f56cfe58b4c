import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLocalPorts } from "../../runtime/adapters/local/index.ts";
import type { AnyActorDefinition } from "../../runtime/core/actor.ts";
import { type Clock, systemClock } from "../../runtime/ports/clock.ts";
import type { DeadLetter } from "../../runtime/ports/message-queue.ts";
import { openAws } from "./aws-environment.ts";
import type { BackendKind } from "./tally.ts";
import { assemble, makeInjectors, portErrors, type Worker, type WorkerOptions } from "./worker.ts";

export type { BackendKind } from "./tally.ts";
export type { Worker, WorkerOptions } from "./worker.ts";

/** FAULT_BACKENDS=local runs only the local backend (no emulators), e.g. while iterating. */
export const BACKENDS: readonly BackendKind[] = (process.env.FAULT_BACKENDS ?? "local,aws")
  .split(",")
  .map((b) => b.trim())
  .filter((b): b is BackendKind => b === "local" || b === "aws");

/** Storage shared by the workers of one scenario: a database file, or tables and fresh queues. */
export interface Environment {
  kind: BackendKind;
  /** Every fault decision of this environment's workers draws from this seed. */
  seed: number;
  worker(options: WorkerOptions): Promise<Worker>;
  /** Delivers due timers into the actor queue (the local timer loop's tick, or fake Scheduler firing). */
  fireTimers(now: number): Promise<number>;
  /**
   * The dead letters not taken before, oldest first, with their receive counts. On aws the DLQ is
   * drained to read it: a FIFO queue shows only the head of each group to a non-destructive listing.
   */
  takeDeadLetters(): Promise<DeadLetter[]>;
  /** Messages in the actor queue, visible or in flight: 0 means nothing is left to deliver. */
  queueDepth(): Promise<number>;
  /**
   * Routes the signals published since the last call to their subscribers, as the EventBridge
   * rule does on AWS (through the Lambda entry, whose log lines go to `lines`). Locally the fabric
   * routes signals itself: 0.
   */
  deliverSignals(actors: readonly AnyActorDefinition[], lines?: string[]): Promise<number>;
  /** Puts a body no fabric code wrote into an actor's queue: a forged or hand-written message. */
  enqueueRaw(actorId: string, id: string, body: string): Promise<void>;
  close(): Promise<void>;
}

export interface EnvironmentOptions {
  label: string;
  /** The seed of this run, or of this iteration of a sweep (see seed.ts). */
  seed: number;
  maxReceives?: number;
  /** The clock the timer side uses (local: the scheduler's clock for queue visibility). */
  clock?: Clock;
  /** aws: also create the standard delay queue for near timers (off by default: every timer goes to Scheduler). */
  delayQueue?: boolean;
  /** aws: the function's lease (DURABLE_LEASE_MS) the Lambda entry uses. */
  leaseMs?: number;
  /**
   * aws: tables of its own instead of the run's shared ones. A scenario that runs the sweeper needs
   * them: the sweeper relays every stranded outbox in its tables into its own queue and bus, as one
   * deployment's does, so on shared tables it would take other scenarios' outboxes.
   */
  ownTables?: boolean;
}

export function openEnvironment(kind: BackendKind, options: EnvironmentOptions): Promise<Environment> {
  return kind === "local" ? openLocal(options) : openAws(options);
}

async function openLocal(options: EnvironmentOptions): Promise<Environment> {
  const dir = mkdtempSync(join(tmpdir(), "durable-faults-"));
  const path = join(dir, "local.db");
  const opened: { close(): void }[] = [];
  const open = (clock: Clock) => {
    // Versions of history are not needed; a small limit keeps long runs from growing the file.
    const ports = openLocalPorts({
      path,
      clock,
      maxReceives: options.maxReceives,
      historyLimit: 4,
      durability: "normal",
    });
    opened.push(ports);
    return ports;
  };
  const timerSide = open(options.clock ?? systemClock);
  let taken = 0;
  return {
    kind: "local",
    seed: options.seed,
    async worker(w) {
      // Its own connection for the process, and another for reading outcomes after it died.
      const ports = open(w.clock ?? systemClock);
      const raw = open(w.clock ?? systemClock);
      const injectors = makeInjectors(w, portErrors, options.seed);
      // The local fabric routes signals itself, as `durable dev` does.
      return assemble({ ...w, fabric: { routeSignals: true, ...w.fabric } }, "local", ports, raw, injectors);
    },
    fireTimers: async (now) => (await timerSide.timers.fireDueTimers(now)).length,
    async takeDeadLetters() {
      // Taken, as the aws DLQ is drained: each dead letter is returned once.
      const all = await timerSide.queue.deadLetters();
      const fresh = all.slice(taken);
      taken = all.length;
      return fresh;
    },
    async queueDepth() {
      const stats = await timerSide.queue.stats();
      return stats.queued + stats.inFlight;
    },
    deliverSignals: async () => 0,
    async enqueueRaw(actorId, id, body) {
      // Straight into the file, as any process that opens it could: no fabric code checks it.
      const db = new Database(path);
      try {
        db.query("INSERT INTO messages (id, actor_id, body, visible_at) VALUES (?, ?, ?, ?)").run(
          id,
          actorId,
          body,
          Date.now(),
        );
      } finally {
        db.close();
      }
    },
    async close() {
      for (const ports of opened) ports.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
