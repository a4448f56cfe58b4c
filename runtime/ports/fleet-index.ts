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
