import type { ActorStore, Lease, TurnCommit } from "../../runtime/ports/actor-store.ts";
import type { FabricPorts } from "../../runtime/ports/index.ts";
import type { MessageQueue } from "../../runtime/ports/message-queue.ts";
import type { SignalBus } from "../../runtime/ports/signal-bus.ts";
import type { StepStore } from "../../runtime/ports/step-store.ts";
import type { TimerScheduler } from "../../runtime/ports/timer-scheduler.ts";
import { appliedDespiteError, callScope, type FaultInjector, type OpKind } from "./fault-injector.ts";

/** What the wrapped ports report to a scenario: leases granted and commits sent and settled. */
export interface PortObserver {
  acquired?(lease: Lease): void;
  /** Right before a commit leaves, after every injected delay (once per attempt that is sent). */
  commitSending?(commit: TurnCommit): void;
  /** `applied` is true when the commit returned, or failed only after it had landed. */
  committed?(commit: TurnCommit, outcome: { applied: boolean; error?: unknown }): void;
}

/** Port calls started and not yet settled: what would still be running when a Lambda freezes. */
export class InFlight {
  readonly byOp = new Map<OpKind, number>();
  total = 0;
  /** Every call started, in order. */
  readonly log: OpKind[] = [];

  get started(): number {
    return this.log.length;
  }

  begin(op: OpKind): void {
    this.byOp.set(op, (this.byOp.get(op) ?? 0) + 1);
    this.total++;
    this.log.push(op);
  }

  end(op: OpKind): void {
    this.byOp.set(op, (this.byOp.get(op) ?? 0) - 1);
    this.total--;
  }

  /** The ops still running, e.g. "schedule×1". */
  describe(): string {
    return [...this.byOp]
      .filter(([, n]) => n !== 0)
      .map(([op, n]) => `${op}×${n}`)
      .join(", ");
  }
}

export interface WrapOptions {
  /** Faults at the port, applied in order (the local backend's fault layer, process crashes on either backend). */
  injectors?: readonly FaultInjector[];
  observer?: PortObserver | undefined;
  inFlight?: InFlight | undefined;
  /** The layer below (SDK middleware) reports when a request leaves, after its own faults. */
  sendReportedBelow?: boolean;
}

type Around = <T>(
  op: OpKind,
  args: readonly unknown[],
  run: () => Promise<T>,
  sending?: () => void,
) => Promise<T>;

/**
 * The ports with every call passing through the fault layer and the observers. Only the
 * FabricPorts surface is wrapped: what the core turn uses is what faults can reach.
 */
export function wrapPorts(ports: FabricPorts, options: WrapOptions): FabricPorts {
  const { inFlight } = options;
  const injectors = options.injectors ?? [];
  const around: Around = async (op, args, run, sending) => {
    inFlight?.begin(op);
    try {
      return await callScope.run({ op, args, beforeSend: sending }, async () => {
        for (const injector of injectors) await injector.before({ op, args });
        if (!options.sendReportedBelow) sending?.();
        const result = await run();
        for (const injector of injectors) injector.after({ op, args });
        return result;
      });
    } finally {
      inFlight?.end(op);
    }
  };
  return {
    store: wrapStore(ports.store, around, options.observer),
    steps: wrapSteps(ports.steps, around),
    queue: wrapQueue(ports.queue, around),
    timers: wrapTimers(ports.timers, around),
    signals: wrapSignals(ports.signals, around),
    clock: ports.clock,
  };
}

function wrapStore(store: ActorStore, around: Around, observer: PortObserver | undefined): ActorStore {
  return {
    limits: store.limits,
    async acquireLease(actorId, owner, ttlMs, now) {
      const lease = await around("acquire", [actorId, owner, ttlMs, now], () =>
        store.acquireLease(actorId, owner, ttlMs, now),
      );
      observer?.acquired?.(lease);
      return lease;
    },
    load: (actorId, ids) => around("load", [actorId, ids], () => store.load(actorId, ids)),
    async commit(commit) {
      try {
        await around(
          "commit",
          [commit],
          () => store.commit(commit),
          () => observer?.commitSending?.(commit),
        );
        observer?.committed?.(commit, { applied: true });
      } catch (error) {
        observer?.committed?.(commit, { applied: appliedDespiteError(error), error });
        throw error;
      }
    },
    releaseLease: (lease) => around("release", [lease], () => store.releaseLease(lease)),
    clearOutbox: (actorId, version) =>
      around("clearOutbox", [actorId, version], () => store.clearOutbox(actorId, version)),
    read: (actorId) => around("read", [actorId], () => store.read(actorId)),
    renewLease: (lease, ttlMs, now) =>
      around("renew", [lease, ttlMs, now], () => store.renewLease(lease, ttlMs, now)),
    loadWaiting: (actorId, limit) =>
      around("loadWaiting", [actorId, limit], () => store.loadWaiting(actorId, limit)),
    listStranded: (before, limit) =>
      around("listStranded", [before, limit], () => store.listStranded(before, limit)),
  };
}

function wrapSteps(steps: StepStore, around: Around): StepStore {
  return {
    list: (actorId, runId) => around("stepList", [actorId, runId], () => steps.list(actorId, runId)),
    record: (actorId, runId, step) =>
      around("stepRecord", [actorId, runId, step], () => steps.record(actorId, runId, step)),
  };
}

function wrapQueue(queue: MessageQueue, around: Around): MessageQueue {
  return {
    maxReceives: queue.maxReceives,
    send: (messages) => around("send", [messages], () => queue.send(messages)),
    receive: (options) => around("receive", [options], () => queue.receive(options)),
    ack: (deliveries) => around("ack", [deliveries], () => queue.ack(deliveries)),
    retry: (deliveries, delayMs) =>
      around("retry", [deliveries, delayMs], () => queue.retry(deliveries, delayMs)),
    release: (deliveries) => around("release", [deliveries], () => queue.release(deliveries)),
    deadLetter: (entries) => around("deadLetter", [entries], () => queue.deadLetter(entries)),
    deadLetters: (actorId) => around("deadLetters", [actorId], () => queue.deadLetters(actorId)),
  };
}

function wrapTimers(timers: TimerScheduler, around: Around): TimerScheduler {
  return {
    schedule: (list) => around("schedule", [list], () => timers.schedule(list)),
    cancel: (list) => around("cancel", [list], () => timers.cancel(list)),
  };
}

function wrapSignals(signals: SignalBus, around: Around): SignalBus {
  return { publish: (list) => around("publish", [list], () => signals.publish(list)) };
}
