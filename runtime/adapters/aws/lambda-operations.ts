import { DurableError } from "../../core/errors.ts";
import type { Fabric } from "../../core/fabric.ts";
import { assertActorId } from "../../core/limits.ts";
import { type SweepResult, sweepStranded } from "../../core/sweeper.ts";
import { DEFAULTS } from "./config.ts";
import type { DurableUnparkEvent, DurableUnparkResult } from "./invoke-event.ts";
import type { LambdaMetrics } from "./lambda-metrics.ts";

/** An operator's unpark: a fenced turn clears the park, then the waiting messages run in order. */
export async function unparkActor(
  event: DurableUnparkEvent,
  fabric: Fabric,
  log: (fields: Record<string, unknown>) => void,
): Promise<DurableUnparkResult> {
  try {
    assertActorId(event.actorId);
    const actorType = typeof event.actorType === "string" ? event.actorType : undefined;
    const result = await fabric.unpark(event.actorId, actorType);
    log({ level: "info", message: "unparked", ...result });
    return { ok: true, ...result };
  } catch (error) {
    if (!(error instanceof DurableError)) throw error;
    log({ level: "warn", message: "unpark failed", actorId: String(event.actorId), code: error.code });
    return { ok: false, error: error.toJSON() };
  }
}

/**
 * The schedule rule's sweep: outboxes a crash left unrelayed and waiting lists of unparked actors,
 * older than DEFAULTS.sweepOlderThanMs, bounded by the invocation's remaining time.
 */
export async function sweep(
  fabric: Fabric,
  metrics: LambdaMetrics,
  log: (fields: Record<string, unknown>) => void,
): Promise<SweepResult> {
  let result: SweepResult;
  try {
    result = await sweepStranded(fabric, {
      olderThanMs: DEFAULTS.sweepOlderThanMs,
      limit: 200,
      onError: (actorId, error) =>
        log({ level: "error", message: "sweep could not settle an actor", actorId, error: String(error) }),
    });
  } catch (error) {
    // Never thrown: a failed sweep would be retried into the function's async DLQ (the signal DLQ),
    // and the next minute's sweep covers it anyway.
    log({ level: "error", message: "sweep failed; the next one retries", error: String(error) });
    return { found: 0, settled: 0, failed: 1 };
  }
  metrics.count("sweep", "OutboxesSwept", result.settled);
  if (result.found > 0) log({ level: "info", message: "sweep", ...result });
  return result;
}
