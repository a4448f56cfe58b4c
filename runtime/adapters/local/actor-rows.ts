import type { SerializedError } from "../../core/errors.ts";
import type { JsonValue } from "../../core/json.ts";
import type { ActorRecord, ProcessedMarker } from "../../ports/actor-store.ts";
import type { OutboxEntry, ParkedRecord, TimerRecord, WaitingSummary } from "../../ports/messages.ts";
import { decode, decodeOptional } from "./codec.ts";

export interface ActorRow {
  actor_id: string;
  actor_type: string | null;
  version: number;
  state: string;
  timers: string;
  parked: string | null;
  outbox: string;
  updated_at: number;
  waiting: string | null;
  schema: number | null;
  state_ref: string | null;
}

export interface MarkerRow {
  message_id: string;
  version: number;
  result: string | null;
  error: string | null;
}

export interface LeaseRow {
  owner: string;
  epoch: number;
  expires_at: number;
  /** 1 while the lease is kept in a grace after a commit: any acquire takes it. */
  grace: number;
}

export const ACTOR_COLUMNS =
  "actor_id, actor_type, version, state, timers, parked, outbox, updated_at, waiting, schema, state_ref";

/** The record of a row; a state kept as an object is passed in by the caller, who read it. */
export function toRecord(row: ActorRow, objectState?: JsonValue): ActorRecord {
  return {
    actorId: row.actor_id,
    actorType: row.actor_type,
    version: row.version,
    state: row.state_ref === null ? decode<JsonValue>(row.state) : (objectState ?? null),
    timers: decode<Record<string, TimerRecord>>(row.timers),
    parked: row.parked === null ? null : decode<ParkedRecord>(row.parked),
    outbox: decode<OutboxEntry[]>(row.outbox),
    waiting: row.waiting === null ? null : decode<WaitingSummary>(row.waiting),
    updatedAt: row.updated_at,
    schema: row.schema ?? 1,
    ...(row.state_ref === null ? {} : { stateRef: row.state_ref }),
  };
}

export function toMarker(row: MarkerRow): ProcessedMarker {
  const marker: ProcessedMarker = { messageId: row.message_id, version: row.version };
  const result = decodeOptional<JsonValue>(row.result);
  const error = decodeOptional<SerializedError>(row.error);
  if (result !== undefined) marker.result = result;
  if (error !== undefined) marker.error = error;
  return marker;
}
