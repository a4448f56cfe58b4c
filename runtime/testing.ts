/**
 * The test fabric a project's tests use: the real local backend in memory, with a manual clock so
 * alarm tests never sleep.
 * @example
 * const fabric = createTestFabric({ actors: [counter] });
 * await client(counter, fabric).get("counter-1").increment();
 * await fabric.advance(60_000); // fires due timers, applies queued messages
 */
import { type LocalPorts, openLocalPorts } from "./adapters/local/index.ts";
import type { AnyActorDefinition } from "./core/actor.ts";
import { Fabric, type FabricOptions, type UnparkResult } from "./core/fabric.ts";
import type {
  AsyncInvokeResponse,
  InvokeRequest,
  InvokeResponse,
  Invoker,
  SyncInvokeResponse,
} from "./core/invoker.ts";
import { drainQueue } from "./core/queue-worker.ts";
import type { ActorRecord } from "./ports/actor-store.ts";
import type { DeadLetter } from "./ports/message-queue.ts";
import { ManualClock } from "./testing/manual-clock.ts";

export { ManualClock } from "./testing/manual-clock.ts";

export interface TestFabricOptions {
  actors: readonly AnyActorDefinition[];
  /** The clock's start (epoch ms). */
  now?: number;
  maxReceives?: number;
  onTurn?: FabricOptions["onTurn"];
}

export interface TestFabric extends Invoker {
  readonly fabric: Fabric;
  readonly clock: ManualClock;
  readonly ports: LocalPorts;
  /** Applies every queued message (and redeliveries) until the queue is idle. Returns how many were delivered. */
  drain(): Promise<number>;
  /** Moves the clock forward, firing each timer at its due time and draining the queue after each. */
  advance(ms: number): Promise<void>;
  /** The committed record of an actor, or null if it was never written. */
  state(actorId: string): Promise<ActorRecord | null>;
  deadLetters(actorId?: string): Promise<DeadLetter[]>;
  /** Clears a parked actor and runs the messages that waited behind it, in order (`durable state unpark`). */
  unpark(actorId: string): Promise<UnparkResult>;
  close(): void;
}

export function createTestFabric(options: TestFabricOptions): TestFabric {
  const clock = new ManualClock(options.now);
  const ports = openLocalPorts({
    path: ":memory:",
    clock,
    maxReceives: options.maxReceives,
    largeState: true,
  });
  const fabric = new Fabric({
    ports,
    actors: options.actors,
    owner: "test",
    onTurn: options.onTurn,
    routeSignals: true,
  });
  const drain = () => drainQueue(fabric, ports.queue);
  const invoke = (request: InvokeRequest): Promise<InvokeResponse> => fabric.invoke(request);
  return {
    fabric,
    clock,
    ports,
    invoke: invoke as TestFabric["invoke"],
    drain,
    async advance(ms) {
      const target = clock.now() + ms;
      await drain();
      for (;;) {
        const next = await ports.timers.nextDueAt();
        if (next === null || next > target) break;
        if (next > clock.now()) clock.set(next);
        await ports.timers.fireDueTimers(clock.now());
        await drain();
      }
      clock.set(target);
      await drain();
    },
    state: (actorId) => ports.store.read(actorId),
    deadLetters: (actorId) => ports.queue.deadLetters(actorId),
    unpark: (actorId) => fabric.unpark(actorId),
    close: () => ports.close(),
  };
}

export type { AsyncInvokeResponse, SyncInvokeResponse };
