import { MigrationFailedError, SchemaTooNewError } from "./errors.ts";
import { assertJson, cloneJson, type JsonObject } from "./json.ts";

/**
 * A migration as the registry holds it. The method-signature form makes the parameter bivariant,
 * so each migration declares the shape of the schema before it while the map stays free of `any`.
 */
export type AnyMigration = { bivarianceHack(state: JsonObject): JsonObject }["bivarianceHack"];

/** Migrations keyed by the schema each one produces: `migrate[3]` turns a schema-2 state into schema 3. */
export type MigrationMap = { readonly [schema: number]: AnyMigration };

type Tuple<N extends number, T extends unknown[] = []> = T["length"] extends N
  ? T
  : Tuple<N, [...T, unknown]>;
type Next<N extends number> = [...Tuple<N>, unknown]["length"];
type InputOf<F> = F extends (state: infer I) => unknown ? I : never;
type UpTo<N extends number, T extends number[] = []> = T["length"] extends N
  ? T[number] | N
  : UpTo<N, [...T, T["length"]]>;

/** Every schema from 2 to N needs the migration that produces it. */
export type RequiredMigrations<N extends number> = {
  readonly [K in Exclude<UpTo<N>, 0 | 1>]: AnyMigration;
};

/**
 * What the compiler checks a `migrate` map against: each migration's output is the next one's
 * input, and the migration to `schema` (the latest) returns the state type the handlers see.
 */
export type MigrationChain<M, S, N extends number> = {
  readonly [K in keyof M]: K extends N
    ? (state: InputOf<M[K]>) => S
    : K extends number
      ? Next<K> extends keyof M
        ? (state: InputOf<M[K]>) => InputOf<M[Next<K>]>
        : never
      : never;
};

/** A stored record's schema: records written before schemas existed are schema 1 (see docs/architecture.md). */
export function storedSchema(schema: number | undefined): number {
  return schema ?? 1;
}

/** Checks a definition's `schema` and `migrate` when the actor is defined (at import, not on a request). */
export function checkMigrations(name: string, schema: unknown, migrate: unknown): number {
  const target = schema ?? 1;
  if (typeof target !== "number" || !Number.isInteger(target) || target < 1 || target > 10_000) {
    throw new TypeError(`actor "${name}": schema must be an integer from 1, got ${JSON.stringify(schema)}`);
  }
  const map = (migrate ?? {}) as Record<string, unknown>;
  if (typeof map !== "object" || map === null) {
    throw new TypeError(`actor "${name}": migrate must be an object keyed by schema number`);
  }
  const keys = Object.keys(map);
  for (const key of keys) {
    const version = Number(key);
    if (!Number.isInteger(version) || version < 2 || version > target) {
      throw new TypeError(
        `actor "${name}": migrate[${key}] is not a schema from 2 to ${target} (schema is ${target})`,
      );
    }
    if (typeof map[key] !== "function")
      throw new TypeError(`actor "${name}": migrate[${key}] is not a function`);
  }
  for (let version = 2; version <= target; version++) {
    if (!Object.hasOwn(map, String(version))) {
      throw new TypeError(
        `actor "${name}": schema is ${target} but migrate[${version}] is missing (a stored schema-${version - 1} state could not be brought up to date)`,
      );
    }
  }
  return target;
}

export interface MigrationTarget {
  readonly name: string;
  readonly schema: number;
  readonly migrate: MigrationMap;
}

/**
 * Brings a stored state from `from` up to the type's schema, running each migration in order on a
 * copy. Throws SchemaTooNewError when `from` is ahead of the code, MigrationFailedError naming the
 * migration that threw (or returned something that is not a JSON object).
 * @example const { state } = migrateState(leaderboard, "leaderboard-1", stored, 1);
 */
export function migrateState(
  def: MigrationTarget,
  actorId: string,
  state: JsonObject,
  from: number,
): JsonObject {
  assertNotAhead(def, actorId, from);
  let current = cloneJson(state);
  for (let version = from + 1; version <= def.schema; version++) {
    const migration = def.migrate[version];
    const details = { actorId, actorType: def.name, from, to: def.schema, migration: version };
    if (!migration) {
      throw new MigrationFailedError(`${def.name} has no migration to schema ${version}`, { details });
    }
    let next: unknown;
    try {
      next = migration(current);
      assertJson(next, `the state migrate[${version}] returned`);
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause);
      throw new MigrationFailedError(
        `migrate[${version}] of ${def.name} failed on ${actorId} (schema ${version - 1} → ${version}): ${why}`,
        {
          cause,
          details,
          hint: `fix migrate[${version}] and deploy it, then run durable state unpark ${actorId}`,
        },
      );
    }
    if (typeof next !== "object" || next === null || Array.isArray(next)) {
      throw new MigrationFailedError(
        `migrate[${version}] of ${def.name} returned ${Array.isArray(next) ? "an array" : typeof next} for ${actorId}, not a state object`,
        { details, hint: `return the whole new state from migrate[${version}]` },
      );
    }
    current = next as JsonObject;
  }
  return current;
}

/** A record written by a newer schema than the code (a rollback) is refused before anything runs. */
export function assertNotAhead(def: MigrationTarget, actorId: string, stored: number): void {
  if (stored <= def.schema) return;
  throw new SchemaTooNewError(
    `${actorId} was written by schema ${stored} of ${def.name}; this code knows schema ${def.schema}, so nothing was run or written`,
    {
      hint: `deploy code with schema ${stored} or later (a rollback below a migration needs a forward fix)`,
      details: { actorId, actorType: def.name, stored, code: def.schema },
    },
  );
}
