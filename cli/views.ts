import type { JsonValue } from "../runtime/core/json.ts";
import type { ActorRecord } from "../runtime/ports/actor-store.ts";
import type { SerializedError } from "../runtime/ports/values.ts";

/**
 * What the CLI (`--json`) and the `durable dev` HTTP API show of stored records. Every time is ISO
 * 8601 (UTC): a person reads these, and one format everywhere spares them guessing which field is
 * epoch ms. The outbox is an internal detail of a turn and is left out.
 */
export interface RecordView {
  actorId: string;
  actorType: string | null;
  version: number;
  /** The state's schema version (records written before versioned state are schema 1). */
  schema: number;
  state: JsonValue | null;
  timers: Record<string, { timerId: string; at: string; data?: JsonValue | undefined }>;
  parked: { messageId: string; handler: string; at: string; error: SerializedError } | null;
  /** Queued messages waiting behind a park, in order. */
  waiting: number;
  updatedAt: string;
}

export const isoTime = (ms: number): string => new Date(ms).toISOString();

export function recordView(record: ActorRecord): RecordView {
  const timers: RecordView["timers"] = {};
  for (const [name, timer] of Object.entries(record.timers))
    timers[name] = { ...timer, at: isoTime(timer.at) };
  return {
    actorId: record.actorId,
    actorType: record.actorType,
    version: record.version,
    schema: record.schema ?? 1,
    state: record.state,
    timers,
    parked: record.parked ? { ...record.parked, at: isoTime(record.parked.at) } : null,
    waiting: record.waiting?.count ?? 0,
    updatedAt: isoTime(record.updatedAt),
  };
}

/** A row of `state list` / `GET /actors`, or an event of `state tail` / `GET /events`: `field` in ISO. */
export function withIsoTime<T extends Record<K, number>, K extends string>(
  value: T,
  field: K,
): Omit<T, K> & Record<K, string> {
  return { ...value, [field]: isoTime(value[field]) } as Omit<T, K> & Record<K, string>;
}
