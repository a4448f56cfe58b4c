import type { Lease, LoadedActor } from "../ports/actor-store.ts";
import { LeaseLostError, VersionConflictError } from "./errors.ts";
import type { TurnEnv } from "./turn.ts";
import type { WarmActor } from "./warm-actors.ts";

/**
 * A warm turn that wrote nothing (a read, a failed handler) still answered from memory: one
 * consistent read shows whether that record is still the actor's latest and none of the messages
 * was already applied. If not, the turn runs again the ordinary way.
 */
export async function confirmWarm(
  env: TurnEnv,
  warm: WarmActor,
  cached: LoadedActor,
  messageIds: readonly string[],
): Promise<void> {
  const current = await env.ports.store.load(warm.lease.actorId, messageIds);
  if (current.record.version !== cached.record.version || current.processed.size > 0) {
    throw new VersionConflictError(
      `actor ${warm.lease.actorId} is at version ${current.record.version}, not ${cached.record.version}, or a message was a repeat`,
      { hint: "the turn runs again on what is stored", details: { actorId: warm.lease.actorId } },
    );
  }
}

/** The lease was taken by a newer turn (not merely run out): another process wants the actor. */
export function takenOver(error: unknown, lease: Lease): boolean {
  if (!(error instanceof LeaseLostError)) return false;
  const current = error.details.currentEpoch;
  return typeof current !== "number" || current !== lease.epoch;
}
