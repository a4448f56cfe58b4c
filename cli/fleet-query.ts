import { FLEET_PAGE_MAX, type FleetEntry, type FleetQuery } from "../runtime/ports/fleet-index.ts";
import { CliError } from "./errors.ts";
import { isoTime } from "./views.ts";

/** What `durable state list` and the inspector's `GET /api/actors` take, as text. */
export interface FleetQueryInput {
  type?: string | null | undefined;
  parked?: boolean | undefined;
  prefix?: string | null | undefined;
  limit?: string | null | undefined;
  cursor?: string | null | undefined;
}

export const DEFAULT_FLEET_LIMIT = 100;
/** Actor type names, as actor() accepts them. */
const TYPE = /^[a-z][a-z0-9-]{0,47}$/;
/** A beginning of an actor id: its characters, at most its length. */
const ID_PREFIX = /^[A-Za-z0-9._:-]{1,128}$/;
/** Cursors are a few KB (one position per index shard); anything much longer is not one. */
const MAX_CURSOR_CHARS = 16 * 1024;

/** Checks a listing's filters before anything is read; each mistake is an INVALID_INPUT with a hint. */
export function fleetQuery(input: FleetQueryInput): FleetQuery {
  const refuse = (message: string, hint: string) => new CliError("INVALID_INPUT", message, { hint });
  const type = input.type || undefined;
  if (type !== undefined && !TYPE.test(type)) {
    throw refuse(
      `type ${JSON.stringify(type)} is not an actor type name`,
      'actor types are lowercase letters, digits and -, as in actor("counter", …)',
    );
  }
  const prefix = input.prefix || undefined;
  if (prefix !== undefined && !ID_PREFIX.test(prefix)) {
    throw refuse(
      `prefix ${JSON.stringify(prefix)} cannot start an actor id`,
      "actor ids use letters, digits and . _ : - (at most 128)",
    );
  }
  const limit = input.limit ? Number(input.limit) : DEFAULT_FLEET_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > FLEET_PAGE_MAX) {
    throw refuse(`limit ${input.limit} is not a whole number from 1 to ${FLEET_PAGE_MAX}`, "e.g. --limit 50");
  }
  const cursor = input.cursor || undefined;
  if (cursor !== undefined && (cursor.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(cursor))) {
    throw refuse(
      "the cursor is not one a listing returned",
      "pass the `next` value of the previous page unchanged",
    );
  }
  return { actorType: type, parked: input.parked === true, idPrefix: prefix, limit, cursor };
}

/** A listed actor with ISO times, as `state list --json` and the inspector show it. */
export function fleetEntryView(entry: FleetEntry) {
  return {
    ...entry,
    updatedAt: isoTime(entry.updatedAt),
    nextTimerAt: entry.nextTimerAt === null ? null : isoTime(entry.nextTimerAt),
  };
}
