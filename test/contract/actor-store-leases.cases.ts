import { expect, test } from "bun:test";
import { LeaseHeldError, LeaseLostError } from "../../runtime/core/errors.ts";
import { type ActorStoreFixture, baseTime, TTL, turnCommit } from "./actor-store-support.ts";
import { rejectsWith, uniqueId } from "./contract-support.ts";

/** Leases and fencing: who may write, and that a holder that lost its lease never can. */
export function leaseCases(backend: string, fixture: () => ActorStoreFixture): void {
  const name = (what: string) => `${what} [${backend}]`;

  test(name("grants a free actor's lease with an epoch of at least 1, expiring at now + ttl"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("lease");
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    expect(lease).toEqual({ actorId, owner: "a", epoch: expect.any(Number), expiresAt: now + TTL });
    expect(lease.epoch).toBeGreaterThanOrEqual(1);
  });

  test(
    name("refuses another owner while the lease is unexpired, with LeaseHeldError details.expiresAt"),
    async () => {
      const { store } = fixture();
      const now = baseTime(fixture());
      const actorId = uniqueId("lease");
      const held = await store.acquireLease(actorId, "a", TTL, now);
      const error = await rejectsWith(store.acquireLease(actorId, "b", TTL, now + TTL - 1), LeaseHeldError);
      expect(error.code).toBe("LEASE_HELD");
      expect(error.details.expiresAt).toBe(held.expiresAt);
    },
  );

  test(name("grants the same owner a new, greater epoch when it acquires again"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("lease");
    const first = await store.acquireLease(actorId, "a", TTL, now);
    const second = await store.acquireLease(actorId, "a", TTL, now + 1);
    expect(second.epoch).toBeGreaterThan(first.epoch);
    expect(second.expiresAt).toBe(now + 1 + TTL);
  });

  test(name("grants another owner a greater epoch once the lease has expired"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("lease");
    const first = await store.acquireLease(actorId, "a", TTL, now);
    const second = await store.acquireLease(actorId, "b", TTL, first.expiresAt + 1);
    expect(second.owner).toBe("b");
    expect(second.epoch).toBeGreaterThan(first.epoch);
  });

  test(name("grants another owner a greater epoch right after a release"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("lease");
    const first = await store.acquireLease(actorId, "a", TTL, now);
    await store.releaseLease(first);
    const second = await store.acquireLease(actorId, "b", TTL, now + 1);
    expect(second.epoch).toBeGreaterThan(first.epoch);
  });

  test(name("keeps epochs strictly increasing across grants, releases, expiries and commits"), async () => {
    const { store } = fixture();
    let now = baseTime(fixture());
    const actorId = uniqueId("lease");
    const epochs: number[] = [];
    for (let i = 0; i < 4; i++) {
      const lease = await store.acquireLease(actorId, `owner-${i % 2}`, TTL, now);
      epochs.push(lease.epoch);
      if (i === 0) await store.releaseLease(lease);
      if (i === 1) await store.commit(turnCommit(lease, 0, now + 1, { release: true }));
      now = i === 2 ? lease.expiresAt + 1 : now + 10;
    }
    for (let i = 1; i < epochs.length; i++)
      expect(epochs[i]).toBeGreaterThan(epochs[i - 1] ?? Number.POSITIVE_INFINITY);
  });

  test(name("lets exactly one of several racing owners take a free lease"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("lease");
    const owners = ["a", "b", "c", "d"];
    const results = await Promise.allSettled(
      owners.map((owner) => store.acquireLease(actorId, owner, TTL, now)),
    );
    const granted = results.filter((result) => result.status === "fulfilled");
    expect(granted).toHaveLength(1);
    for (const result of results) {
      if (result.status === "rejected") expect(result.reason).toBeInstanceOf(LeaseHeldError);
    }
  });

  test(name("refuses a commit from a holder whose lease was taken over, and writes nothing"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("zombie");
    const zombie = await store.acquireLease(actorId, "a", TTL, now);
    const current = await store.acquireLease(actorId, "b", TTL, zombie.expiresAt + 1);
    await rejectsWith(store.commit(turnCommit(zombie, 0, current.expiresAt - 10)), LeaseLostError);
    expect(await store.read(actorId)).toBeNull();
  });

  test(
    name("refuses a commit from the same owner's older epoch after that owner acquired again"),
    async () => {
      const { store } = fixture();
      const now = baseTime(fixture());
      const actorId = uniqueId("zombie");
      const old = await store.acquireLease(actorId, "a", TTL, now);
      await store.acquireLease(actorId, "a", TTL, now + 1);
      await rejectsWith(store.commit(turnCommit(old, 0, now + 2)), LeaseLostError);
      expect(await store.read(actorId)).toBeNull();
    },
  );

  test(name("does not let a zombie's release free the current holder's lease"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("zombie");
    const zombie = await store.acquireLease(actorId, "a", TTL, now);
    const current = await store.acquireLease(actorId, "b", TTL, zombie.expiresAt + 1);
    await store.releaseLease(zombie);
    const error = await rejectsWith(
      store.acquireLease(actorId, "c", TTL, current.expiresAt - 10),
      LeaseHeldError,
    );
    expect(error.details.expiresAt).toBe(current.expiresAt);
    await store.commit(turnCommit(current, 0, current.expiresAt - 5));
    expect((await store.read(actorId))?.version).toBe(1);
  });

  test(name("does not let a zombie's releasing commit clear the current holder's lease"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("zombie");
    const zombie = await store.acquireLease(actorId, "a", TTL, now);
    const current = await store.acquireLease(actorId, "b", TTL, zombie.expiresAt + 1);
    await rejectsWith(
      store.commit(turnCommit(zombie, 0, current.expiresAt - 20, { release: true })),
      LeaseLostError,
    );
    await rejectsWith(store.acquireLease(actorId, "c", TTL, current.expiresAt - 10), LeaseHeldError);
  });

  test(name("refuses a commit on an actor whose lease was never granted"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("nolease");
    const forged = { actorId, owner: "a", epoch: 1, expiresAt: now + TTL };
    await rejectsWith(store.commit(turnCommit(forged, 0, now)), LeaseLostError);
    expect(await store.read(actorId)).toBeNull();
  });

  test(name("refuses a commit after the lease expired even when no one took it over"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("paused");
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    await rejectsWith(store.commit(turnCommit(lease, 0, lease.expiresAt + 1)), LeaseLostError);
    expect(await store.read(actorId)).toBeNull();
  });

  test(name("keeps leases of different actors independent"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const one = uniqueId("one");
    const two = uniqueId("two");
    await store.acquireLease(one, "a", TTL, now);
    const other = await store.acquireLease(two, "b", TTL, now);
    expect(other.owner).toBe("b");
    await rejectsWith(store.acquireLease(one, "b", TTL, now + 1), LeaseHeldError);
  });
}
