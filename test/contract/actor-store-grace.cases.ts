import { expect, test } from "bun:test";
import { LeaseHeldError, LeaseLostError, VersionConflictError } from "../../runtime/core/errors.ts";
import { type ActorStoreFixture, baseTime, TTL, turnCommit } from "./actor-store-support.ts";
import { rejectsWith, uniqueId } from "./contract-support.ts";

/** The warm grace (TurnCommit.graceUntil) and the conditional markers the warm path relies on. */
export function graceCases(backend: string, fixture: () => ActorStoreFixture): void {
  const name = (what: string) => `${what} [${backend}]`;

  test(name("a holder in its grace commits again with the same lease, nothing acquired"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("grace");
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    await store.commit(turnCommit(lease, 0, now, { release: true, graceUntil: now + 50 }));
    await store.commit(turnCommit(lease, 1, now + 10, { release: true, graceUntil: now + 60 }));
    await store.commit(turnCommit(lease, 2, now + 55, { release: true }));
    expect((await store.read(actorId))?.version).toBe(3);
  });

  test(
    name("a lease in its grace yields to another owner at once, with a greater epoch, and fences the holder"),
    async () => {
      const { store } = fixture();
      const now = baseTime(fixture());
      const actorId = uniqueId("grace");
      const lease = await store.acquireLease(actorId, "a", TTL, now);
      await store.commit(turnCommit(lease, 0, now, { release: true, graceUntil: now + TTL }));
      const other = await store.acquireLease(actorId, "b", TTL, now + 1);
      expect(other.epoch).toBeGreaterThan(lease.epoch);
      await rejectsWith(store.commit(turnCommit(lease, 1, now + 2, { release: true })), LeaseLostError);
      // The new holder's lease is a running turn's: not yielded.
      await rejectsWith(store.acquireLease(actorId, "c", TTL, now + 3), LeaseHeldError);
      await store.commit(turnCommit(other, 1, now + 4, { release: true }));
    },
  );

  test(name("a grace ends at graceUntil: the holder cannot commit after it"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("grace");
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    await store.commit(turnCommit(lease, 0, now, { release: true, graceUntil: now + 50 }));
    await rejectsWith(store.commit(turnCommit(lease, 1, now + 50, { release: true })), LeaseLostError);
  });

  test(
    name("renewing a lease in its grace makes it a running turn's again (no longer yielded)"),
    async () => {
      const { store } = fixture();
      const now = baseTime(fixture());
      const actorId = uniqueId("grace");
      const lease = await store.acquireLease(actorId, "a", TTL, now);
      await store.commit(turnCommit(lease, 0, now, { release: true, graceUntil: now + 50 }));
      const renewed = await store.renewLease(lease, TTL, now + 10);
      await rejectsWith(store.acquireLease(actorId, "b", TTL, now + 20), LeaseHeldError);
      await store.commit(turnCommit(renewed, 1, now + 30, { release: true }));
    },
  );

  test(
    name("a commit that would write a marker that exists writes nothing at all (VersionConflictError)"),
    async () => {
      const { store } = fixture();
      const now = baseTime(fixture());
      const actorId = uniqueId("marker");
      const lease = await store.acquireLease(actorId, "a", TTL, now);
      const marker = (version: number) => ({ messageId: "m-1", version, result: version });
      await store.commit(turnCommit(lease, 0, now, { markers: [marker(1)] }));
      await rejectsWith(
        store.commit(turnCommit(lease, 1, now + 1, { markers: [marker(2)] })),
        VersionConflictError,
      );
      const loaded = await store.load(actorId, ["m-1"]);
      expect(loaded.record.version).toBe(1);
      expect(loaded.processed.get("m-1")?.result).toBe(1);
    },
  );
}
