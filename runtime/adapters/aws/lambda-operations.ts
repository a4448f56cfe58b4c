import { DurableError, HandlerFailedError, InvalidInputError, UnknownActorError } from "../../core/errors.ts";
import type { Fabric, RedriveResult } from "../../core/fabric.ts";
import { assertActorId } from "../../core/limits.ts";
import type { MigrateOutcome } from "../../core/migrate-actor.ts";
import { isUnusable, queuedMessage } from "../../core/queued-message.ts";
import type { ActorRegistry } from "../../core/registry.ts";
import { routeSignal } from "../../core/signal-routing.ts";
import { type SweepResult, sweepStranded } from "../../core/sweeper.ts";
import type { ActorMessage } from "../../ports/messages.ts";
import { DEFAULTS, SIGNAL_SOURCE } from "./config.ts";
import {
  type DurableMigrateEvent,
  type DurableMigrateResult,
  type DurableRedriveEvent,
  type DurableRedriveResult,
  type DurableUnparkEvent,
  type DurableUnparkResult,
  MIGRATE_BATCH_MAX,
  REDRIVE_BATCH,
} from "./invoke-event.ts";
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

/** An operator's redrive of dead letters (see runRedrive); typed errors are answered, not thrown. */
export async function redriveLetters(
  event: DurableRedriveEvent,
  fabric: Fabric,
  log: (fields: Record<string, unknown>) => void,
): Promise<DurableRedriveResult> {
  try {
    const result = await runRedrive(event, fabric);
    log({ level: "info", message: "redriven", ...result });
    return { ok: true, ...result };
  } catch (error) {
    if (!(error instanceof DurableError)) throw error;
    log({ level: "warn", message: "redrive failed", actorId: String(event.actorId), code: error.code });
    return { ok: false, error: error.toJSON() };
  }
}

/**
 * Puts an actor's dead letters back ahead of its later messages through Fabric.redrive, after
 * checking the event (it comes from any client that may invoke the function). A signal whose route
 * failed is routed again first, with this deployment's code, so a fixed route now picks its actor.
 * The local fabric runs this in the CLI's process; a stage runs it in the function.
 */
export async function runRedrive(event: DurableRedriveEvent, fabric: Fabric): Promise<RedriveResult> {
  assertActorId(event.actorId);
  const messages = redriveMessages(event);
  const actorType = typeof event.actorType === "string" ? event.actorType : undefined;
  if (event.route !== undefined) {
    const signalType = event.route?.signalType;
    const [message] = messages;
    if (typeof signalType !== "string" || signalType === "" || !message || messages.length !== 1) {
      throw new InvalidInputError("durable.redrive: route needs a signalType and exactly one message");
    }
    const routed = routeAgain(fabric.registry, message, signalType);
    return fabric.redrive(routed.actorId, [routed], { actorType: routed.actorType });
  }
  const stranger = messages.find((m) => m.actorId !== event.actorId);
  if (stranger) {
    throw new InvalidInputError(
      `durable.redrive: message ${stranger.id} belongs to ${stranger.actorId}, not ${event.actorId}`,
    );
  }
  return fabric.redrive(event.actorId, messages, { unpark: event.unpark === true, actorType });
}

function redriveMessages(event: DurableRedriveEvent): ActorMessage[] {
  const raw: unknown = event.messages;
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > REDRIVE_BATCH) {
    throw new InvalidInputError(`durable.redrive: messages must be a list of 1-${REDRIVE_BATCH} messages`);
  }
  return raw.map((value, i) => {
    const message = queuedMessage(value);
    if (isUnusable(message)) {
      throw new InvalidInputError(`durable.redrive: message ${i} cannot run: ${message.unusable}`);
    }
    return message;
  });
}

/**
 * Routes a signal message whose route failed once more, for its one subscriber (the message's
 * actor id is that subscriber's type, its id `<signal id>>type`, as core/signal-routing.ts made it).
 */
export function routeAgain(registry: ActorRegistry, message: ActorMessage, signalType: string): ActorMessage {
  const subscriber = message.actorId;
  const suffix = `>${subscriber}`;
  const signalId = message.id.endsWith(suffix) ? message.id.slice(0, -suffix.length) : message.id;
  const { messages, failures } = routeSignal(registry, {
    id: signalId,
    source: SIGNAL_SOURCE,
    type: signalType,
    detail: message.input ?? null,
    at: message.sentAt ?? 0,
  });
  const routed = messages.find((m) => m.id === message.id);
  if (routed) return routed;
  const failure = failures.find((f) => f.message.id === message.id);
  if (failure) {
    throw new HandlerFailedError(`${failure.reason} again`, {
      hint: "fix the route's `to` and deploy, then redrive the letter again",
    });
  }
  throw new UnknownActorError(
    `actor type ${subscriber} does not subscribe to signal ${signalType} any more`,
    {
      hint: "nothing can receive this signal; purge the letter if it is no longer needed",
    },
  );
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
    return { found: 0, settled: 0, failed: 1, orphansDeleted: 0 };
  }
  metrics.count("sweep", "OutboxesSwept", result.settled);
  if (result.found > 0 || result.orphansDeleted > 0) log({ level: "info", message: "sweep", ...result });
  return result;
}

/** Turns of one migrate event that run at once: a batch finishes well inside the function's timeout. */
const MIGRATE_CONCURRENCY = 16;
/** Actors not started this close to the timeout are answered `skipped`, for the CLI to send again. */
const MIGRATE_MARGIN_MS = 5_000;

/**
 * `durable migrate --stage`: each actor's stored state is brought to this function's schema through
 * a fenced turn (Fabric.migrate); an actor already current is left alone, so a batch sent twice
 * migrates nothing twice. Per-actor failures are answered, never thrown.
 */
export async function migrateActors(
  event: DurableMigrateEvent,
  fabric: Fabric,
  remainingMs: () => number,
  log: (fields: Record<string, unknown>) => void,
): Promise<DurableMigrateResult> {
  const actors = event.actors;
  if (!Array.isArray(actors) || actors.length === 0 || actors.length > MIGRATE_BATCH_MAX) {
    const error = new InvalidInputError(`durable.migrate takes 1 to ${MIGRATE_BATCH_MAX} actors`);
    return { ok: false, error: error.toJSON() };
  }
  const results: MigrateOutcome[] = new Array(actors.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < actors.length; i = next++) {
      const entry = actors[i] as { actorId?: unknown; actorType?: unknown };
      const actorId = String(entry?.actorId);
      const actorType = typeof entry?.actorType === "string" ? entry.actorType : null;
      if (remainingMs() < MIGRATE_MARGIN_MS) {
        results[i] = { actorId, actorType, status: "skipped" };
        continue;
      }
      try {
        assertActorId(entry?.actorId);
        results[i] = await fabric.migrate(actorId, actorType ?? undefined);
      } catch (error) {
        if (!(error instanceof DurableError)) throw error;
        results[i] = { actorId, actorType, status: "error", error: error.toJSON() };
      }
    }
  };
  await Promise.all(Array.from({ length: MIGRATE_CONCURRENCY }, worker));
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  log({ level: "info", message: "migrate", actors: actors.length, ...counts });
  return { ok: true, results };
}
