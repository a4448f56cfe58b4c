import type { AnyActorDefinition } from "./actor.ts";
import type { SchemaTooNewError, SerializedError } from "./errors.ts";
import type { TurnResult } from "./turn.ts";

/**
 * What `Fabric.migrate` did to one actor: `migrated` (committed in the code's schema), `current`
 * (already there: nothing written), `absent` (never written), `ahead` (written by a newer schema
 * than this code: nothing done) or `failed` (a migration threw: the actor is parked, see `error`).
 */
export interface MigrateResult {
  actorId: string;
  actorType: string;
  status: "migrated" | "current" | "absent" | "ahead" | "failed";
  /** The stored schema before (null when the actor was never written). */
  from: number | null;
  /** The code's schema. */
  to: number;
  version: number;
  error?: SerializedError | undefined;
}

/**
 * One actor of a batch migrated by an operator (`durable migrate`): its result, or `error` (the
 * turn failed: nothing was written, try again) or `skipped` (not attempted: out of time).
 */
export type MigrateOutcome =
  | MigrateResult
  | {
      actorId: string;
      actorType: string | null;
      status: "error" | "skipped";
      error?: SerializedError | undefined;
    };

export function migrateResult(actorId: string, def: AnyActorDefinition, turn: TurnResult): MigrateResult {
  const base = { actorId, actorType: def.name, to: def.schema, version: turn.version };
  const run = turn.migration;
  if (run?.error) return { ...base, status: "failed", from: run.from, error: run.error.toJSON() };
  if (run) return { ...base, status: "migrated", from: run.from };
  if (turn.version === 0) return { ...base, status: "absent", from: null };
  return { ...base, status: "current", from: turn.schema };
}

export function aheadResult(
  actorId: string,
  def: AnyActorDefinition,
  error: SchemaTooNewError,
): MigrateResult {
  const stored = error.details.stored;
  return {
    actorId,
    actorType: def.name,
    status: "ahead",
    from: typeof stored === "number" ? stored : null,
    to: def.schema,
    version: -1,
    error: error.toJSON(),
  };
}
