import { InvalidInputError } from "../core/errors.ts";

/** Which actors a fleet listing returns; every filter is optional. */
export interface FleetQuery {
  /** Only actors of this type. */
  actorType?: string | undefined;
  /** Only parked actors. */
  parked?: boolean | undefined;
  /** Only ids that start with this. */
  idPrefix?: string | undefined;
  /** Most actors in one page (1 to FLEET_PAGE_MAX). */
  limit: number;
  /** `next` of the previous page with the same filters; absent for the first page. */
  cursor?: string | undefined;
}

/** One actor as the fleet index knows it. */
export interface FleetEntry {
  actorId: string;
  actorType: string | null;
  version: number;
  /** When its last turn committed (ms since the epoch). */
  updatedAt: number;
  parked: boolean;
  /** Its earliest pending timer (ms since the epoch), or null. */
  nextTimerAt: number | null;
  /** Queued messages held behind a park. */
  waiting: number;
}

export interface FleetPage {
  actors: FleetEntry[];
  /** Pass back as `cursor` for the next page; null when this page is the last. */
  next: string | null;
}

/** The largest page a fleet listing returns. */
export const FLEET_PAGE_MAX = 1000;

/**
 * Lists actors through an index every commit keeps, never by reading every record. Pages come
 * parked actors first, then by type, most recently active first, then by id.
 * @example const page = await fleet.list({ actorType: "counter", parked: true, limit: 50 });
 */
export interface FleetIndex {
  list(query: FleetQuery): Promise<FleetPage>;
}

interface CursorEnvelope {
  v: 1;
  /** The filters the cursor was made for: type, parked, id prefix. */
  q: [string | null, boolean, string | null];
  /** Where the next page starts, in the backend's own terms. */
  at: unknown;
}

function filtersOf(query: FleetQuery): CursorEnvelope["q"] {
  return [query.actorType ?? null, query.parked === true, query.idPrefix || null];
}

/** An opaque cursor that carries a backend's position and the filters it belongs to. */
export function encodeFleetCursor(query: FleetQuery, at: unknown): string {
  const body: CursorEnvelope = { v: 1, q: filtersOf(query), at };
  return Buffer.from(JSON.stringify(body)).toString("base64url");
}

/**
 * The position a query's cursor carries (undefined without a cursor). `valid` checks its shape: a
 * cursor of other filters, or one no listing made, is refused with InvalidInputError.
 */
export function decodeFleetCursor<T>(query: FleetQuery, valid: (at: unknown) => at is T): T | undefined {
  if (query.cursor === undefined) return undefined;
  let body: Partial<CursorEnvelope> | undefined;
  try {
    body = JSON.parse(Buffer.from(query.cursor, "base64url").toString("utf8")) as Partial<CursorEnvelope>;
  } catch {}
  if (body?.v !== 1 || !valid(body.at)) {
    throw new InvalidInputError("the cursor is not one a fleet listing returned", {
      hint: "pass the `next` value of the previous page unchanged, or leave the cursor out to start over",
    });
  }
  if (JSON.stringify(body.q) !== JSON.stringify(filtersOf(query))) {
    throw new InvalidInputError("the cursor belongs to a listing with other filters", {
      hint: "keep the type, parked and prefix filters of the first page, or leave the cursor out to start over",
    });
  }
  return body.at;
}
