import type { Fabric } from "../../runtime/core/fabric.ts";

/*
 * The runtime API issue 11 adds (briefs/issue11-design.md), reached by name until it lands on
 * main, so the scenarios that need it compile and fail with a clear reason before it exists.
 * Replaced by static imports once main has it.
 */

export interface UnparkResult {
  actorId: string;
  wasParked: boolean;
  /** How many messages were waiting behind the park. */
  waiting: number;
  /** How many of them this unpark ran. */
  applied: number;
  version: number;
  parked: unknown;
}

/**
 * `Fabric.unpark`: a fenced turn that clears the park and drains the waiting messages. Before it
 * lands, falls back to what the runtime had (the store's unfenced `unpark`), so the scenarios show
 * what that does; the result then says nothing about waiting messages.
 */
export async function unpark(fabric: Fabric, actorId: string): Promise<UnparkResult> {
  const next = (fabric as unknown as { unpark?: (id: string) => Promise<UnparkResult> }).unpark;
  if (typeof next === "function") return next.call(fabric, actorId);
  const store = fabric.ports.store as unknown as { unpark?: (id: string) => Promise<void> };
  if (typeof store.unpark !== "function")
    throw new Error("neither Fabric.unpark nor ActorStore.unpark exists");
  await store.unpark(actorId);
  return {
    actorId,
    wasParked: true,
    waiting: Number.NaN,
    applied: Number.NaN,
    version: Number.NaN,
    parked: null,
  };
}

export interface SweepOptions {
  olderThanMs: number;
  limit?: number;
}

type Sweep = (fabric: Fabric, options: SweepOptions) => Promise<unknown>;

const SWEEP_MODULES = [
  "../../runtime/core/sweep-stranded.ts",
  "../../runtime/core/sweeper.ts",
  "../../runtime/core/stranded.ts",
  "../../runtime/core/outbox-sweeper.ts",
];

/** `sweepStranded`: relays outboxes a crash left behind, without a call to their actors. */
export async function sweepStranded(fabric: Fabric, options: SweepOptions): Promise<unknown> {
  for (const path of SWEEP_MODULES) {
    const module = (await import(path).catch(() => undefined)) as { sweepStranded?: Sweep } | undefined;
    if (typeof module?.sweepStranded === "function") return module.sweepStranded(fabric, options);
  }
  throw new Error("sweepStranded (issue 11: stranded outboxes are relayed without a call) has not landed");
}
