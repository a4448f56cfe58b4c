import type { ActorMessage, ParkedRecord } from "../ports/messages.ts";
import type { AnyActorDefinition } from "./actor.ts";
import { toDurableError } from "./errors.ts";
import type { MessageOutcome, TurnEnv } from "./turn.ts";

/** One JSON line per turn: what operators search for (docs/monitoring.md). */
export interface TurnLogEntry {
  type: "turn";
  actorId: string;
  actorType: string;
  handlers: string[];
  messages: number;
  version: number;
  epoch: number;
  leaseWaitMs: number;
  durationMs: number;
  retries: number;
  /** The turn ran on what this process had just committed (the warm path: nothing acquired or loaded first). */
  warm?: boolean | undefined;
  outcome: "committed" | "unchanged" | "failed";
  /** The code of the error that failed the whole turn. */
  error?: string | undefined;
  /** Its message: what went wrong, in words. */
  errorMessage?: string | undefined;
  /** Messages whose handler failed in this turn (the turn may still commit the ones before). */
  failures?: { messageId: string; handler: string; code: string; message: string }[] | undefined;
  /** Set when this turn parked the actor: the message it parked on, and why. */
  parked?: { messageId: string; handler: string; code: string; message: string } | undefined;
  /** Messages this turn added to the actor's waiting list. */
  held?: number | undefined;
  /** Held messages this turn took off the waiting list. */
  drained?: number | undefined;
  /** Set when this turn committed a migrated state: the stored schema and the one committed. */
  migrated?: { from: number; to: number } | undefined;
}

export interface TurnReport {
  def: AnyActorDefinition;
  actorId: string;
  messages: readonly ActorMessage[];
  version: number;
  epoch: number;
  leaseWaitMs: number;
  started: number;
  retries: number;
  warm?: boolean;
  outcome: TurnLogEntry["outcome"];
  outcomes?: MessageOutcome[];
  error?: unknown;
  /** The park this turn committed, if any. */
  parked?: ParkedRecord | null;
  held?: number;
  drained?: number;
  /** A migration this turn committed. */
  migrated?: { from: number; to: number } | undefined;
}

export function report(env: TurnEnv, r: TurnReport): void {
  if (!env.onTurn) return;
  const handlerOf = new Map(r.messages.map((m) => [m.id, m.handler]));
  const failures = (r.outcomes ?? []).flatMap((o) =>
    o.status === "failed"
      ? [
          {
            messageId: o.messageId,
            handler: handlerOf.get(o.messageId) ?? "",
            code: o.error.code,
            message: o.error.message,
          },
        ]
      : [],
  );
  const error = r.error === undefined ? undefined : toDurableError(r.error);
  env.onTurn({
    type: "turn",
    actorId: r.actorId,
    actorType: r.def.name,
    handlers: [...new Set(r.messages.map((m) => m.handler))],
    messages: r.messages.length,
    version: r.version,
    epoch: r.epoch,
    leaseWaitMs: r.leaseWaitMs,
    durationMs: env.ports.clock.now() - r.started,
    retries: r.retries,
    warm: r.warm || undefined,
    outcome: r.outcome,
    error: error?.code,
    errorMessage: error?.message,
    failures: failures.length > 0 ? failures : undefined,
    parked: r.parked
      ? {
          messageId: r.parked.messageId,
          handler: r.parked.handler,
          code: r.parked.error.code,
          message: r.parked.error.message,
        }
      : undefined,
    held: r.held || undefined,
    drained: r.drained || undefined,
    migrated: r.migrated ? { from: r.migrated.from, to: r.migrated.to } : undefined,
  });
}
