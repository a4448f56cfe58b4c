import type { Fabric } from "./fabric.ts";
import { LIMITS } from "./limits.ts";

export interface SweepOptions {
  /** Leave alone what committed this recently: its own turn is probably still relaying it. */
  olderThanMs: number;
  /** Actors per sweep. */
  limit?: number;
  /** Where failures are reported (a failing actor does not stop the sweep). */
  onError?: (actorId: string, error: unknown) => void;
}

export interface SweepResult {
  /** Actors found stranded. */
  found: number;
  /** Of those, settled: outbox relayed, waiting messages applied (or parked again). */
  settled: number;
  failed: number;
  /** Large-state objects deleted because no record points at them (a crash left them). */
  orphansDeleted: number;
}

/**
 * Finishes what crashes left behind without waiting for another call to the actor: an outbox
 * committed but never relayed (a process killed, a Lambda timed out or ran out of memory between
 * commit and relay), and messages waiting behind an unparked actor. Each actor gets a turn with no
 * new message, which relays and drains; relaying again is safe because every destination dedupes.
 * It also deletes large-state objects a crash left without a record pointing at them.
 * @example await sweepStranded(fabric, { olderThanMs: 30_000 });
 */
export async function sweepStranded(fabric: Fabric, options: SweepOptions): Promise<SweepResult> {
  const now = fabric.ports.clock.now();
  const before = now - options.olderThanMs;
  const stranded = await fabric.ports.store.listStranded(before, options.limit ?? 100);
  let settled = 0;
  let failed = 0;
  for (const { actorId, actorType } of stranded) {
    try {
      await fabric.settle(actorId, actorType);
      settled++;
    } catch (error) {
      failed++;
      options.onError?.(actorId, error);
    }
  }
  // A page of large-state objects per sweep: over many sweeps it covers them all.
  const orphans = await fabric.ports.store.sweepBlobs?.(now - LIMITS.orphanStateGraceMs, 1000);
  return { found: stranded.length, settled, failed, orphansDeleted: orphans?.deleted ?? 0 };
}
