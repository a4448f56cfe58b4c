import { expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { LeaseLostError } from "../../runtime/core/errors.ts";
import { padSequence } from "../../runtime/core/waiting.ts";
import type { ActorMessage, HeldMessage, OutboxEntry, WaitingSummary } from "../../runtime/ports/messages.ts";
import { type ActorStoreFixture, baseTime, TTL, turnCommit } from "./actor-store-support.ts";
import { rejectsWith, uniqueId } from "./contract-support.ts";

const held = (actorId: string, n: number, input: ActorMessage["input"] = { n }): HeldMessage => ({
  position: padSequence(1000 + n),
  message: {
    id: `${actorId}-w${n}`,
    actorId,
    actorType: "counter",
    handler: "increment",
    kind: "send",
    input,
  },
});

const summary = (count: number, through: number): WaitingSummary => ({
  count,
  through: padSequence(1000 + through),
  headFailures: 0,
});

/** Lease renewal, the waiting list a parked actor's messages go to, and the sweeper's index. */
export function waitingCases(backend: string, fixture: () => ActorStoreFixture): void {
  const name = (what: string) => `${what} [${backend}]`;

  test(name("renews a lease it still holds, so the holder commits after the first expiry"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("renew");
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    const renewed = await store.renewLease(lease, TTL, now + TTL - 1);
    expect(renewed).toEqual({ ...lease, expiresAt: now + 2 * TTL - 1 });
    await store.commit(turnCommit(renewed, 0, now + TTL + 1, { release: true }));
    expect((await store.read(actorId))?.version).toBe(1);
  });

  test(name("refuses to renew a lease that was taken over, with LeaseLostError"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("renew");
    const first = await store.acquireLease(actorId, "a", TTL, now);
    await store.acquireLease(actorId, "b", TTL, first.expiresAt + 1);
    await rejectsWith(store.renewLease(first, TTL, first.expiresAt + 2), LeaseLostError);
  });

  test(
    name("holds messages with the commit and loads them back in position order, up to a limit"),
    async () => {
      const { store } = fixture();
      const now = baseTime(fixture());
      const actorId = uniqueId("hold");
      const lease = await store.acquireLease(actorId, "a", TTL, now);
      // Held out of order on purpose: the store orders by position, not by arrival.
      const hold = [held(actorId, 3), held(actorId, 1), held(actorId, 2)];
      await store.commit(turnCommit(lease, 0, now + 1, { hold, waiting: summary(3, 3), release: true }));
      expect((await store.read(actorId))?.waiting).toEqual(summary(3, 3));
      const all = await store.loadWaiting(actorId, 10);
      expect(all.held.map((h) => h.message.id)).toEqual([1, 2, 3].map((n) => `${actorId}-w${n}`));
      expect(all.held[0]?.message).toEqual(held(actorId, 1).message);
      expect(all.complete).toBe(true);
      const page = await store.loadWaiting(actorId, 2);
      expect(page.held.map((h) => h.position)).toEqual([padSequence(1001), padSequence(1002)]);
      expect(page.complete).toBe(false);
      expect(await store.loadWaiting(uniqueId("other"), 10)).toEqual({ held: [], complete: true });
    },
  );

  test(
    name("drains held messages in the commit that applies them; holding one again changes nothing"),
    async () => {
      const { store } = fixture();
      const now = baseTime(fixture());
      const actorId = uniqueId("drain");
      const lease = await store.acquireLease(actorId, "a", TTL, now);
      const hold = [held(actorId, 1), held(actorId, 2)];
      await store.commit(turnCommit(lease, 0, now + 1, { hold, waiting: summary(2, 2), release: true }));
      const next = await store.acquireLease(actorId, "a", TTL, now + 2);
      const [first] = (await store.loadWaiting(actorId, 1)).held;
      if (!first) throw new Error("nothing was held");
      await store.commit(
        turnCommit(next, 1, now + 3, {
          drained: [first],
          // A redelivery of message 2 held again: same position, so still one copy.
          hold: [held(actorId, 2)],
          waiting: summary(1, 2),
          release: true,
        }),
      );
      expect((await store.loadWaiting(actorId, 10)).held.map((h) => h.message.id)).toEqual([`${actorId}-w2`]);
      expect((await store.read(actorId))?.waiting).toEqual(summary(1, 2));
    },
  );

  test(name("holds and drains a message bigger than a DynamoDB item (1 MiB of random text)"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("big");
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    // Random base64 barely compresses: the AWS store must split it across items.
    const blob = randomBytes(700 * 1024)
      .toString("base64")
      .slice(0, 1000 * 1024);
    const big = held(actorId, 1, { blob });
    await store.commit(
      turnCommit(lease, 0, now + 1, { hold: [big, held(actorId, 2)], waiting: summary(2, 2), release: true }),
    );
    const { held: loaded } = await store.loadWaiting(actorId, 10);
    expect(loaded.map((h) => h.message.id)).toEqual([`${actorId}-w1`, `${actorId}-w2`]);
    expect(loaded[0]?.message.input).toEqual({ blob });
    const next = await store.acquireLease(actorId, "a", TTL, now + 2);
    await store.commit(
      turnCommit(next, 1, now + 3, { drained: loaded.slice(0, 1), waiting: summary(1, 2), release: true }),
    );
    expect((await store.loadWaiting(actorId, 10)).held.map((h) => h.message.id)).toEqual([`${actorId}-w2`]);
  });

  test(name("lists an actor whose committed outbox is not cleared, until clearOutbox"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const actorId = uniqueId("stranded");
    const lease = await store.acquireLease(actorId, "a", TTL, now);
    const outbox: OutboxEntry[] = [
      { kind: "send", id: "s1", message: { id: "s1", actorId: "x-1", handler: "h", kind: "send" } },
    ];
    await store.commit(turnCommit(lease, 0, now + 1, { outbox, release: true }));
    const mine = async (before: number) =>
      (await store.listStranded(before, 10_000)).filter((s) => s.actorId === actorId);
    expect(await mine(now)).toEqual([]);
    expect(await mine(now + 1)).toEqual([{ actorId, actorType: "counter" }]);
    await store.clearOutbox(actorId, 1);
    expect(await mine(now + 10)).toEqual([]);
  });

  test(name("lists an unparked actor with waiting messages, and not a parked one"), async () => {
    const { store } = fixture();
    const now = baseTime(fixture());
    const parkedId = uniqueId("parked");
    const readyId = uniqueId("ready");
    const parked = {
      messageId: "poison",
      handler: "increment",
      at: now,
      error: { name: "HandlerFailedError", code: "HANDLER_FAILED", message: "boom" },
    };
    const one = await store.acquireLease(parkedId, "a", TTL, now);
    await store.commit(
      turnCommit(one, 0, now + 1, {
        parked,
        hold: [held(parkedId, 1)],
        waiting: summary(1, 1),
        release: true,
      }),
    );
    const two = await store.acquireLease(readyId, "a", TTL, now);
    await store.commit(
      turnCommit(two, 0, now + 1, { hold: [held(readyId, 1)], waiting: summary(1, 1), release: true }),
    );
    const ids = (await store.listStranded(now + 5, 10_000)).map((s) => s.actorId);
    expect(ids).toContain(readyId);
    expect(ids).not.toContain(parkedId);
    // Clearing an outbox (there is none) must not take an actor with waiting messages off the list.
    await store.clearOutbox(readyId, 1);
    expect((await store.listStranded(now + 5, 10_000)).map((s) => s.actorId)).toContain(readyId);
  });
}
