import type { JsonValue } from "../../runtime/core/json.ts";
import type { ActorStore, Lease, TurnCommit } from "../../runtime/ports/actor-store.ts";
import type { Clock } from "../../runtime/ports/clock.ts";

export interface ActorStoreFixture {
  store: ActorStore;
  /**
   * Where a case's time starts. Stores compare only the `now` values a case passes in, so any base
   * works; a backend whose records expire by wall time (DynamoDB TTL) passes a clock near real time.
   */
  clock?: Clock;
  cleanup(): Promise<void>;
}

export type MakeActorStore = () => Promise<ActorStoreFixture>;

/** Long enough that no case's lease runs out unless the case moves `now` past it on purpose. */
export const TTL = 30_000;

export function baseTime(fixture: ActorStoreFixture): number {
  return fixture.clock?.now() ?? Date.now();
}

/** A turn that moves the actor from `expectedVersion` to the next version, changing nothing else. */
export function turnCommit(
  lease: Lease,
  expectedVersion: number,
  now: number,
  patch: Partial<TurnCommit> = {},
): TurnCommit {
  return {
    lease,
    actorType: "counter",
    expectedVersion,
    version: expectedVersion + 1,
    state: { count: expectedVersion + 1 },
    timers: {},
    parked: null,
    outbox: [],
    markers: [],
    waiting: null,
    hold: [],
    drained: [],
    release: false,
    now,
    ...patch,
  };
}

/** Acquires, commits one version on top of `expectedVersion` with `state`, and releases. */
export async function commitVersion(
  store: ActorStore,
  actorId: string,
  expectedVersion: number,
  state: JsonValue,
  now: number,
): Promise<void> {
  const lease = await store.acquireLease(actorId, "setup", TTL, now);
  await store.commit(turnCommit(lease, expectedVersion, now, { state, release: true }));
}
