import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { LIMITS } from "../../runtime/core/limits.ts";
import type { ActorStore } from "../../runtime/ports/actor-store.ts";
import type { StateBlobStore } from "../../runtime/ports/state-blobs.ts";
import { TTL, turnCommit } from "./actor-store-support.ts";
import { uniqueId, useFixture } from "./contract-support.ts";

export interface LargeStateFixture {
  /** A store with large-state storage, whose object writes go through `crash`. */
  store: ActorStore;
  /** The storage itself, to look at the objects. */
  blobs: StateBlobStore;
  /** Arms a process crash right after the next object write lands (the commit never runs). */
  crashAfterNextWrite(): void;
  now(): number;
  cleanup(): Promise<void>;
}

/**
 * Stands in for a process that dies right after PutObject returned: no emulator can kill the
 * writer between two requests, so the blob store is wrapped to throw once the write has landed.
 */
export function crashableBlobs(inner: StateBlobStore): { blobs: StateBlobStore; arm(): void } {
  let armed = false;
  const blobs: StateBlobStore = {
    async put(key, body) {
      await inner.put(key, body);
      if (armed) {
        armed = false;
        throw new Error("injected: the process died after writing the state object");
      }
    },
    get: (key) => inner.get(key),
    delete: (keys) => inner.delete(keys),
    list: (after, limit) => inner.list(after, limit),
    readCursor: () => inner.readCursor(),
    writeCursor: (after) => inner.writeCursor(after),
  };
  return { blobs, arm: () => (armed = true) };
}

/** Random base64: gzip keeps it at about 75%, so 1 MB of it never fits a 400 KB item. */
export function incompressible(bytes: number): string {
  return randomBytes(Math.ceil((bytes * 3) / 4))
    .toString("base64")
    .slice(0, bytes);
}

async function objectsOf(blobs: StateBlobStore, actorId: string): Promise<string[]> {
  const all = await blobs.list(undefined, 10_000);
  return all.map((o) => o.key).filter((key) => key.startsWith(`state/${actorId}/`));
}

/**
 * States beyond a record (DESIGN §2.9, issue 16): a state too large for DynamoDB's item goes to an
 * object written before the commit that points at it, so a crash in between leaves the old state
 * readable and at most an orphan the sweep removes, never a pointer to nothing.
 */
export function largeStateContract(backend: string, make: () => Promise<LargeStateFixture>): void {
  describe(`large state [${backend}]`, () => {
    const fixture = useFixture(make);
    const name = (what: string) => `${what} [${backend}]`;

    test(name("a 1 MB state round-trips through commit, load and read, kept as one object"), async () => {
      const { store, blobs, now } = fixture();
      const actorId = uniqueId("large");
      const data = incompressible(1024 * 1024);
      const lease = await store.acquireLease(actorId, "a", TTL, now());
      await store.commit(turnCommit(lease, 0, now(), { state: { data }, schema: 2 }));
      const read = await store.read(actorId);
      expect(read).toMatchObject({ version: 1, state: { data }, schema: 2 });
      expect(read?.stateRef).toStartWith(`state/${actorId}/1-`);
      expect((await store.load(actorId, [])).record.state).toEqual({ data });
      expect(await objectsOf(blobs, actorId)).toEqual([read?.stateRef ?? ""]);
    });

    test(
      name("an unchanged state keeps its object; a new one replaces it; a small one goes back inline"),
      async () => {
        const { store, blobs, now } = fixture();
        const actorId = uniqueId("large");
        const data = incompressible(600 * 1024);
        const lease = await store.acquireLease(actorId, "a", TTL, now());
        await store.commit(turnCommit(lease, 0, now(), { state: { data } }));
        const first = (await store.read(actorId))?.stateRef;
        const timers = { t: { timerId: "t1", at: now() + 60_000 } };
        await store.commit(turnCommit(lease, 1, now(), { state: { data }, timers, loadedStateRef: first }));
        expect((await store.read(actorId))?.stateRef).toBe(first);
        const other = incompressible(600 * 1024);
        await store.commit(turnCommit(lease, 2, now(), { state: { data: other }, loadedStateRef: first }));
        const replaced = await store.read(actorId);
        expect(replaced).toMatchObject({ version: 3, state: { data: other } });
        expect(await objectsOf(blobs, actorId)).toEqual([replaced?.stateRef ?? ""]);
        await store.commit(
          turnCommit(lease, 3, now(), {
            state: { small: 1 },
            loadedStateRef: replaced?.stateRef,
            release: true,
          }),
        );
        const inline = await store.read(actorId);
        expect(inline).toMatchObject({ version: 4, state: { small: 1 } });
        expect(inline?.stateRef).toBeUndefined();
        expect(await objectsOf(blobs, actorId)).toEqual([]);
      },
    );

    test(
      name(
        "a crash between the object's write and the commit leaves the old state readable; the sweep removes the orphan",
      ),
      async () => {
        const f = fixture();
        const { store, blobs, now } = f;
        const actorId = uniqueId("crash");
        const before = incompressible(700 * 1024);
        const lease = await store.acquireLease(actorId, "a", TTL, now());
        await store.commit(turnCommit(lease, 0, now(), { state: { data: before } }));
        const kept = (await store.read(actorId))?.stateRef;
        f.crashAfterNextWrite();
        await expect(
          store.commit(
            turnCommit(lease, 1, now(), {
              state: { data: incompressible(700 * 1024) },
              loadedStateRef: kept,
            }),
          ),
        ).rejects.toThrow("the process died");
        expect(await store.read(actorId)).toMatchObject({
          version: 1,
          state: { data: before },
          stateRef: kept,
        });
        const objects = await objectsOf(blobs, actorId);
        expect(objects).toHaveLength(2);
        // Young orphans are left alone (their commit could still be in flight)...
        await store.sweepBlobs?.(now() - LIMITS.orphanStateGraceMs, 1000);
        expect(await objectsOf(blobs, actorId)).toHaveLength(2);
        // ...old ones go; the object the record points at stays.
        await blobs.writeCursor(undefined);
        const swept = await store.sweepBlobs?.(now() + LIMITS.orphanStateGraceMs, 1000);
        expect(swept?.deleted).toBeGreaterThanOrEqual(1);
        expect(await objectsOf(blobs, actorId)).toEqual([kept ?? ""]);
        expect((await store.load(actorId, [])).record.state).toEqual({ data: before });
      },
    );

    test(name("a commit refused by its fence writes nothing and leaves no object behind"), async () => {
      const { store, blobs, now } = fixture();
      const actorId = uniqueId("fenced");
      const stale = await store.acquireLease(actorId, "a", 1_000, now());
      await store.acquireLease(actorId, "b", TTL, now() + 2_000);
      await expect(
        store.commit(turnCommit(stale, 0, now() + 2_001, { state: { data: incompressible(500 * 1024) } })),
      ).rejects.toMatchObject({ code: "LEASE_LOST" });
      expect(await store.read(actorId)).toBeNull();
      expect(await objectsOf(blobs, actorId)).toEqual([]);
    });

    test(name("a state over LIMITS.stateBytes is refused before any object is written"), async () => {
      const { store, blobs, now } = fixture();
      const actorId = uniqueId("huge");
      const lease = await store.acquireLease(actorId, "a", TTL, now());
      // Compressible or not: the limit is on the JSON.
      const state = { data: "x".repeat(LIMITS.stateBytes + 1) };
      await expect(store.commit(turnCommit(lease, 0, now(), { state }))).rejects.toMatchObject({
        code: "STATE_TOO_LARGE",
      });
      expect(await store.read(actorId)).toBeNull();
      expect(await objectsOf(blobs, actorId)).toEqual([]);
    });
  });
}
