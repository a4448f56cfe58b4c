import type { ActorRecord } from "../ports/actor-store.ts";

/** The record of an actor that was never written: version 0, no state, no timers. */
export function emptyActorRecord(actorId: string): ActorRecord {
  return {
    actorId,
    actorType: null,
    version: 0,
    state: null,
    timers: {},
    parked: null,
    outbox: [],
    waiting: null,
    updatedAt: 0,
  };
}
