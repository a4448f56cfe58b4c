import { expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import {
  LeaseHeldError,
  LeaseLostError,
  StateTooLargeError,
  VersionConflictError,
} from "../../runtime/core/errors.ts";
import type { ActorRecord } from "../../runtime/ports/actor-store.ts";
import type { OutboxEntry, ParkedRecord } from "../../runtime/ports/messages.ts";
import { type ActorStoreFixture, baseTime, commitVersion, TTL, turnCommit } from "./actor-store-support.ts";
import { rejectsWith, uniqueId } from "./contract-support.ts";

const sendEntry = (actorId: string, id: string): OutboxEntry => ({
  kind: "send",
  id,
  message: { id, actorId, handler: "increment", kind: "send", input: { by: 1 } },
});

/** Versions, markers, the outbox and atomicity: what one commit writes, and that a failed one writes nothing. */
export function commitCases(backend: string, fixture: () => ActorStoreFixture): void {
  const name = (what: string) => `${what} [${backend}]`;

  test(name("reads a never-written actor as version 0 with null state and no effects"), async () => {
    const { store } = fixture();
    const actorId = uniqueId("fresh");
    const loaded = await store.load(actorId, ["m1"]);
    expect(loaded.record).toMatchObject({
      actorId,
      version: 0,
      state: null,
      timers: {},
      parked: null,
      outbox: [],
    });
    expect(loaded.processed.size).toBe(0);
    expect(await store.read(actorId)).toBeNull();
  });

  test(name("commits a turn and reads it back at once through load and read"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("commit");
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    const timers = { tick: { timerId: "t1", at: now + 60_000, data: { n: 1 } } };
    await store.commit(turnCommit(lease, 0, now + 1, { state: { count: 7, tags: ["x"] }, timers }));
    const expected: Partial<ActorRecord> = {
      actorId,
      actorType: "counter",
      version: 1,
      state: { count: 7, tags: ["x"] },
      timers,
    };
    expect(await store.read(actorId)).toMatchObject(expected);
    expect((await store.load(actorId, [])).record).toMatchObject(expected);
  });

  test(name("keeps one lease across several commits while release is false"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("commit");
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    await store.commit(turnCommit(lease, 0, now + 1));
    await store.commit(turnCommit(lease, 1, now + 2));
    expect((await store.read(actorId))?.version).toBe(2);
    await rejectsWith(store.acquireLease(actorId, "b", TTL, now + 3), LeaseHeldError);
  });

  test(name("releases the lease in the same write when the commit asks to"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("commit");
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    await store.commit(turnCommit(lease, 0, now + 1, { release: true }));
    const next = await store.acquireLease(actorId, "b", TTL, now + 2);
    expect(next.epoch).toBeGreaterThan(lease.epoch);
  });

  test(name("refuses a commit whose expected version is stale with VersionConflictError"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("conflict");
    await commitVersion(store, actorId, 0, { count: 1 }, now);
    await commitVersion(store, actorId, 1, { count: 2 }, now + 1);
    const lease = await store.acquireLease(actorId, "a", TTL, now + 2);
    const error = await rejectsWith(store.commit(turnCommit(lease, 1, now + 3)), VersionConflictError);
    expect(error.code).toBe("VERSION_CONFLICT");
    await rejectsWith(store.commit(turnCommit(lease, 5, now + 3)), VersionConflictError);
    expect(await store.read(actorId)).toMatchObject({ version: 2, state: { count: 2 } });
  });

  test(name("refuses a first commit on a new actor that expects a version other than 0"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("conflict");
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    await rejectsWith(store.commit(turnCommit(lease, 3, now + 1)), VersionConflictError);
    expect(await store.read(actorId)).toBeNull();
  });

  test(name("refuses a commit expecting version 0 on an actor that already exists"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("conflict");
    await commitVersion(store, actorId, 0, { count: 1 }, now);
    const lease = await store.acquireLease(actorId, "a", TTL, now + 1);
    await rejectsWith(
      store.commit(turnCommit(lease, 0, now + 2, { state: { count: 99 } })),
      VersionConflictError,
    );
    expect(await store.read(actorId)).toMatchObject({ version: 1, state: { count: 1 } });
  });

  test(
    name("returns the markers of the requested message ids only, with their result or error"),
    async () => {
      const { store } = fixture();
      const now = baseTime(fixture());
      const actorId = uniqueId("markers");
      const lease = await store.acquireLease(actorId, "a", TTL, now);
      const error = { name: "HandlerFailedError", code: "HANDLER_FAILED", message: "boom" };
      const markers = [
        { messageId: "m1", version: 1, result: { count: 1 } },
        { messageId: "m2", version: 1, error },
        { messageId: "m3", version: 1 },
      ];
      await store.commit(turnCommit(lease, 0, now + 1, { markers }));
      const loaded = await store.load(actorId, ["m1", "m2", "unknown"]);
      expect([...loaded.processed.keys()].sort()).toEqual(["m1", "m2"]);
      expect(loaded.processed.get("m1")).toMatchObject({ messageId: "m1", version: 1, result: { count: 1 } });
      expect(loaded.processed.get("m2")).toMatchObject({ messageId: "m2", version: 1, error });
      expect((await store.load(actorId, ["m3"])).processed.get("m3")).toMatchObject({
        messageId: "m3",
        version: 1,
      });
    },
  );

  test(name("keeps an earlier turn's markers loadable after later commits"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("markers");
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    await store.commit(
      turnCommit(lease, 0, now + 1, { markers: [{ messageId: "m1", version: 1, result: 1 }] }),
    );
    await store.commit(
      turnCommit(lease, 1, now + 2, { markers: [{ messageId: "m2", version: 2, result: 2 }] }),
    );
    await store.commit(turnCommit(lease, 2, now + 3));
    const loaded = await store.load(actorId, ["m1", "m2"]);
    expect(loaded.processed.get("m1")?.result).toBe(1);
    expect(loaded.processed.get("m2")?.result).toBe(2);
  });

  test(
    name("writes nothing (state, marker, outbox, timers) when a commit fails on its version"),
    async () => {
      const { store } = fixture();
      const now = baseTime(fixture());
      const actorId = uniqueId("atomic");
      await commitVersion(store, actorId, 0, { count: 1 }, now);
      const lease = await store.acquireLease(actorId, "a", TTL, now + 1);
      const failing = turnCommit(lease, 0, now + 2, {
        state: { count: 42 },
        markers: [{ messageId: "lost", version: 1, result: 42 }],
        outbox: [sendEntry("other-actor", "out-1")],
        timers: { late: { timerId: "t9", at: now + 1000 } },
      });
      await rejectsWith(store.commit(failing), VersionConflictError);
      const loaded = await store.load(actorId, ["lost"]);
      expect(loaded.record).toMatchObject({ version: 1, state: { count: 1 }, outbox: [], timers: {} });
      expect(loaded.processed.size).toBe(0);
    },
  );

  test(name("writes nothing when a commit fails on its lease"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("atomic");
    await commitVersion(store, actorId, 0, { count: 1 }, now);
    const zombie = await store.acquireLease(actorId, "a", TTL, now + 1);
    await store.acquireLease(actorId, "b", TTL, zombie.expiresAt + 1);
    const failing = turnCommit(zombie, 1, zombie.expiresAt - 1, {
      markers: [{ messageId: "lost", version: 2 }],
      outbox: [sendEntry("other-actor", "out-1")],
    });
    await rejectsWith(store.commit(failing), LeaseLostError);
    const loaded = await store.load(actorId, ["lost"]);
    expect(loaded.record).toMatchObject({ version: 1, state: { count: 1 }, outbox: [] });
    expect(loaded.processed.size).toBe(0);
  });

  test(name("stores the outbox with the commit; clearOutbox at another version leaves it"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("outbox");
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    const outbox: OutboxEntry[] = [
      sendEntry("target-1", "o1"),
      { kind: "signal", id: "o2", source: actorId, type: "counted", detail: { count: 1 } },
      {
        kind: "timer.set",
        id: "o3",
        actorId,
        actorType: "counter",
        name: "tick",
        timerId: "t1",
        at: now + 5000,
      },
    ];
    await store.commit(turnCommit(lease, 0, now + 1, { outbox }));
    expect((await store.read(actorId))?.outbox).toEqual(outbox);
    await store.clearOutbox(actorId, 0);
    await store.clearOutbox(actorId, 2);
    expect((await store.load(actorId, [])).record.outbox).toEqual(outbox);
  });

  test(
    name("clearOutbox at the current version empties the outbox and keeps state and version"),
    async () => {
      const { store } = fixture();
      const now = baseTime(fixture());
      const actorId = uniqueId("outbox");
      const lease = await store.acquireLease(actorId, "a", TTL, now);
      await store.commit(turnCommit(lease, 0, now + 1, { state: { n: 1 }, outbox: [sendEntry("t", "o1")] }));
      await store.clearOutbox(actorId, 1);
      expect(await store.read(actorId)).toMatchObject({ version: 1, state: { n: 1 }, outbox: [] });
    },
  );

  test(
    name(
      "refuses state over limits.maxStateBytes with StateTooLargeError, writing nothing and keeping the lease",
    ),
    async () => {
      const { store } = fixture();
      const now = baseTime(fixture());
      const actorId = uniqueId("big");
      const lease = await store.acquireLease(actorId, "a", TTL, now);
      // Random bytes do not compress, so a store that compresses before measuring refuses them too.
      const blob = randomBytes(2 * store.limits.maxStateBytes).toString("base64");
      const big = turnCommit(lease, 0, now + 1, {
        state: { blob },
        markers: [{ messageId: "m1", version: 1 }],
      });
      const error = await rejectsWith(store.commit(big), StateTooLargeError);
      expect(error.code).toBe("STATE_TOO_LARGE");
      expect(await store.read(actorId)).toBeNull();
      expect((await store.load(actorId, ["m1"])).processed.size).toBe(0);
      await store.commit(turnCommit(lease, 0, now + 2, { state: { small: true } }));
      expect((await store.read(actorId))?.state).toEqual({ small: true });
    },
  );

  test(name("stores parked with the commit; a later commit clears it"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("parked");
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    const parked: ParkedRecord = {
      messageId: "poison",
      handler: "increment",
      at: now,
      error: { name: "HandlerFailedError", code: "HANDLER_FAILED", message: "boom" },
    };
    await store.commit(turnCommit(lease, 0, now + 1, { state: { n: 1 }, parked, release: true }));
    expect((await store.read(actorId))?.parked).toEqual(parked);
    const again = await store.acquireLease(actorId, "a", TTL, now + 2);
    await store.commit(turnCommit(again, 1, now + 3, { state: { n: 1 }, parked: null, release: true }));
    expect(await store.read(actorId)).toMatchObject({ version: 2, state: { n: 1 }, parked: null });
  });

  test(name("keeps actors apart: a commit to one leaves another's version and state alone"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const one = uniqueId("one");
    const two = uniqueId("two");
    await commitVersion(store, one, 0, { who: "one" }, now);
    await commitVersion(store, two, 0, { who: "two" }, now + 1);
    await commitVersion(store, one, 1, { who: "one again" }, now + 2);
    expect(await store.read(two)).toMatchObject({ version: 1, state: { who: "two" } });
    expect(await store.read(one)).toMatchObject({ version: 2, state: { who: "one again" } });
  });
}
