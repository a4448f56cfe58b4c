import type { ActorStore, Lease, TurnCommit } from "../../runtime/ports/actor-store.ts";
import type { FabricPorts } from "../../runtime/ports/index.ts";
import { hang, type ProcessLife } from "./crash.ts";
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
  /** The process the calls are made in: each call is a seam where it can die (see crash.ts). */
  life?: ProcessLife | undefined;
}

type Around = <T>(
  op: OpKind,
  method: string,
  args: readonly unknown[],
  run: () => Promise<T>,
  sending?: () => void,
) => Promise<T>;

/** Which fault rules a port method answers to; methods not listed are "other". */
const OPS: Record<keyof FabricPorts, Record<string, OpKind>> = {
  store: {
    acquireLease: "acquire",
    load: "load",
    commit: "commit",
    releaseLease: "release",
    renewLease: "renew",
    clearOutbox: "clearOutbox",
    read: "read",
    loadWaiting: "loadWaiting",
    listStranded: "listStranded",
  },
  steps: { list: "stepList", record: "stepRecord" },
  queue: {
    send: "send",
    receive: "receive",
    ack: "ack",
    retry: "retry",
    release: "release",
    deadLetter: "deadLetter",
    deadLetters: "deadLetters",
  },
  timers: { schedule: "schedule", cancel: "cancel" },
  signals: { publish: "publish" },
  clock: {},
};

/**
 * The ports with every call passing through the fault layer, the process's seams and the
 * observers. Every method of the FabricPorts surface is wrapped, including ones added to a port
 * later: what the core turn uses is what faults can reach.
 */
export function wrapPorts(ports: FabricPorts, options: WrapOptions): FabricPorts {
  const { inFlight, life } = options;
  const injectors = options.injectors ?? [];
  const around: Around = async (op, method, args, run, sending) => {
    if (life?.pass("port", method, "before")) return hang();
    inFlight?.begin(op);
    let outcome: { value: Awaited<ReturnType<typeof run>> } | { error: unknown };
    try {
      outcome = {
        value: await callScope.run({ op, args, beforeSend: sending }, async () => {
          for (const injector of injectors) await injector.before({ op, args });
          if (!options.sendReportedBelow) sending?.();
          const result = await run();
          for (const injector of injectors) injector.after({ op, args });
          return result;
        }),
      };
    } catch (error) {
      outcome = { error };
    } finally {
      inFlight?.end(op);
    }
    // A process that dies as the answer arrives never sees it, success or failure.
    if (life?.pass("port", method, "after")) return hang();
    if ("error" in outcome) throw outcome.error;
    return outcome.value;
  };
  return {
    store: wrapStore(ports.store, around, options.observer),
    steps: wrapPort(ports.steps, OPS.steps, around),
    queue: wrapPort(ports.queue, OPS.queue, around),
    timers: wrapPort(ports.timers, OPS.timers, around),
    signals: wrapPort(ports.signals, OPS.signals, around),
    clock: ports.clock,
  };
}

/** Every method of a port goes through `around`; other properties (limits, maxReceives) pass as they are. */
function wrapPort<P extends object>(port: P, ops: Record<string, OpKind>, around: Around): P {
  return new Proxy(port, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || typeof property !== "string") return value;
      const op = ops[property] ?? "other";
      // Called on the real port, not the proxy: adapters keep private (#) fields.
      return (...args: unknown[]) => around(op, property, args, () => value.apply(target, args));
    },
  });
}

function wrapStore(store: ActorStore, around: Around, observer: PortObserver | undefined): ActorStore {
  const wrapped = wrapPort(store, OPS.store, around);
  return new Proxy(wrapped, {
    get(target, property, receiver) {
      if (property === "acquireLease") {
        return async (...args: Parameters<ActorStore["acquireLease"]>) => {
          const lease = await around("acquire", "acquireLease", args, () => store.acquireLease(...args));
          observer?.acquired?.(lease);
          return lease;
        };
      }
      if (property === "commit") {
        return async (commit: TurnCommit) => {
          try {
            await around(
              "commit",
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
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}
