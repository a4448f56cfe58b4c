import type { DurableError } from "../../runtime/core/errors.ts";
import type { MigrateOutcome } from "../../runtime/core/migrate-actor.ts";
import { describeLocalTarget, openLocalFabric } from "../local-fabric.ts";
import type { Project } from "../project.ts";
import { type MigrationTarget, mapLimit } from "./target.ts";

/** Turns at once on the local fabric (one SQLite writer: more would only queue). */
const LOCAL_CONCURRENCY = 4;

/** The local fabric: scanned in actor-id order straight from .durable/local.db, migrated in process. */
export async function localMigrationTarget(project: Project): Promise<MigrationTarget> {
  const { fabric, ports, close } = await openLocalFabric(project);
  return {
    description: describeLocalTarget(project),
    key: "local",
    async estimate() {
      const items = (await ports.store.listActors()).length;
      return { items, bytes: 0, readUnits: 0, summary: `${items} actor(s) in the local file (no cost)` };
    },
    async scan(cursor, limit) {
      const rows = await ports.store.scanSchemas(cursor, limit);
      const last = rows[rows.length - 1];
      return {
        actors: rows.map(({ actorId, actorType, schema }) => ({ actorId, actorType, schema })),
        cursor: rows.length < limit || !last ? undefined : last.actorId,
        readUnits: 0,
      };
    },
    migrate: (actors) =>
      mapLimit(actors, LOCAL_CONCURRENCY, async ({ actorId, actorType }): Promise<MigrateOutcome> => {
        try {
          return await fabric.migrate(actorId, actorType);
        } catch (error) {
          // The project's runtime copy raises its own error classes: recognised by shape.
          const typed = error as Partial<DurableError>;
          if (typeof typed.code !== "string" || typeof typed.toJSON !== "function") throw error;
          return { actorId, actorType, status: "error", error: typed.toJSON() };
        }
      }),
    close,
  };
}
