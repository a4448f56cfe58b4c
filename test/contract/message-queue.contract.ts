import { describe, expect, test } from "bun:test";
import type { Delivery, MessageQueue } from "../../runtime/ports/message-queue.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import { uniqueId, useFixture } from "./contract-support.ts";

export interface MessageQueueFixture {
  /** A queue holding no messages yet. */
  queue: MessageQueue;
  /** Lets `ms` of the queue's time pass: a manual clock's advance locally, a real wait against an emulator. */
  advance(ms: number): Promise<void>;
  /** Extra time an emulator needs before an expired or delayed message is visible again (default 0). */
  settleMs?: number;
  /** `waitMs` for every receive, for an emulator that needs a moment to see a fresh send (default 0). */
  receiveWaitMs?: number;
  /** Deliveries after which the queue's own redrive dead-letters a message (maxReceives + its slack). */
  redriveAfter: number;
  cleanup(): Promise<void>;
}

/** SQS counts visibility and delays in whole seconds, so the short timeouts here are one second. */
const SHORT = 1000;
const LONG = 30_000;

const message = (actorId: string, n: number): ActorMessage => ({
  id: `${actorId}-m${n}`,
  actorId,
  handler: "step",
  kind: "send",
  input: { n },
});

const idsOf = (deliveries: readonly Delivery[], actorId?: string) =>
  deliveries.filter((d) => actorId === undefined || d.message.actorId === actorId).map((d) => d.message.id);

/**
 * The MessageQueue contract (DESIGN §2.4-2.5): per-actor FIFO across retries, visibility timeouts,
 * delivery sequences, dead letters (put there by a parking turn, or by the queue's redrive backstop
 * well after maxReceives) and idempotent sends.
 * @example messageQueueContract("local", async () => ({ queue, advance: async (ms) => clock.advance(ms), cleanup }));
 */
export function messageQueueContract(backend: string, makeQueue: () => Promise<MessageQueueFixture>): void {
  const name = (what: string) => `${what} [${backend}]`;

  describe(`MessageQueue contract [${backend}]`, () => {
    const fixture = useFixture(makeQueue);
    const receive = (maxMessages: number, visibilityTimeoutMs: number) =>
      fixture().queue.receive({ maxMessages, visibilityTimeoutMs, waitMs: fixture().receiveWaitMs ?? 0 });
    const pass = (ms: number) => fixture().advance(ms + (fixture().settleMs ?? 0));

    test(name("returns nothing from an empty queue"), async () => {
      expect(await receive(10, LONG)).toEqual([]);
    });

    test(name("delivers a message with its fields intact and receiveCount 1"), async () => {
      const actorId = uniqueId("q");
      const sent: ActorMessage = {
        id: uniqueId("msg"),
        actorId,
        actorType: "counter",
        handler: "increment",
        kind: "send",
        input: { by: 2, nested: [1, { x: "y" }] },
        sentAt: 1_700_000_000_000,
      };
      await fixture().queue.send([sent]);
      const [delivery, ...rest] = await receive(10, LONG);
      expect(rest).toEqual([]);
      expect(delivery?.message).toEqual({ ...sent, receiveCount: 1, sequence: expect.any(String) });
      expect(delivery?.message.sequence).toMatch(/^\d{40}$/);
      expect(delivery?.receiveCount).toBe(1);
      expect(typeof delivery?.receipt).toBe("string");
    });

    test(name("delivers each actor's messages in send order while interleaving actors"), async () => {
      const { queue } = fixture();
      const a = uniqueId("a");
      const b = uniqueId("b");
      await queue.send([message(a, 1), message(b, 1)]);
      await queue.send([message(a, 2)]);
      await queue.send([message(b, 2), message(a, 3), message(a, 4)]);
      await queue.send([message(b, 3)]);
      const seen: string[] = [];
      for (let round = 0; round < 30 && seen.length < 7; round++) {
        const batch = await receive(10, LONG);
        seen.push(...idsOf(batch));
        await queue.ack(batch);
      }
      expect(seen.filter((id) => id.startsWith(a))).toEqual([1, 2, 3, 4].map((n) => message(a, n).id));
      expect(seen.filter((id) => id.startsWith(b))).toEqual([1, 2, 3].map((n) => message(b, n).id));
    });

    test(
      name("gives each delivery a sequence that sorts in its actor's send order, and keeps it on redelivery"),
      async () => {
        const { queue } = fixture();
        const a = uniqueId("a");
        await queue.send([message(a, 1), message(a, 2), message(a, 3)]);
        const first = await receive(1, LONG);
        await queue.retry(first, 0);
        const again = await receive(1, LONG);
        expect(again[0]?.message.sequence).toBe(first[0]?.message.sequence as string);
        const sequences: string[] = [];
        let batch = again;
        // One receive may return only the head of a group (fauxqs does), so take them as they come.
        for (let round = 0; round < 10 && batch.length > 0; round++) {
          sequences.push(...batch.map((d) => d.message.sequence ?? ""));
          await queue.ack(batch);
          batch = await receive(10, LONG);
        }
        expect(sequences).toHaveLength(3);
        expect([...sequences].sort()).toEqual(sequences);
        expect(new Set(sequences).size).toBe(3);
      },
    );

    test(
      name("holds back an actor's later messages while an earlier one is in flight, but not other actors'"),
      async () => {
        const { queue } = fixture();
        const a = uniqueId("a");
        const b = uniqueId("b");
        await queue.send([message(a, 1), message(a, 2)]);
        const first = await receive(1, LONG);
        expect(idsOf(first)).toEqual([message(a, 1).id]);
        await queue.send([message(b, 1)]);
        const during = await receive(10, LONG);
        expect(idsOf(during, a)).toEqual([]);
        expect(idsOf(during, b)).toEqual([message(b, 1).id]);
        await queue.ack(first);
        expect(idsOf(await receive(10, LONG), a)[0]).toBe(message(a, 2).id);
      },
    );

    test(
      name(
        "redelivers an unacknowledged message after its visibility timeout, ahead of its actor's later ones",
      ),
      async () => {
        const { queue } = fixture();
        const a = uniqueId("a");
        await queue.send([message(a, 1), message(a, 2)]);
        expect(idsOf(await receive(1, SHORT))).toEqual([message(a, 1).id]);
        expect(idsOf(await receive(10, SHORT), a)).toEqual([]);
        await pass(SHORT);
        const again = (await receive(10, LONG)).filter((d) => d.message.actorId === a);
        expect(again[0]?.message.id).toBe(message(a, 1).id);
        expect(again[0]?.receiveCount).toBe(2);
        expect(again[0]?.message.receiveCount).toBe(2);
      },
    );

    test(name("does not redeliver an acknowledged message"), async () => {
      const { queue } = fixture();
      const a = uniqueId("a");
      await queue.send([message(a, 1)]);
      await queue.ack(await receive(10, SHORT));
      await pass(SHORT);
      expect(await receive(10, LONG)).toEqual([]);
    });

    test(
      name("retry without delay makes the message its actor's next delivery, counting the receive"),
      async () => {
        const { queue } = fixture();
        const a = uniqueId("a");
        await queue.send([message(a, 1), message(a, 2)]);
        await queue.retry(await receive(1, LONG), 0);
        const next = (await receive(10, LONG)).filter((d) => d.message.actorId === a);
        expect(next[0]?.message.id).toBe(message(a, 1).id);
        expect(next[0]?.receiveCount).toBe(2);
      },
    );

    test(name("release returns a skipped message at once, still first in its actor's order"), async () => {
      const { queue } = fixture();
      const a = uniqueId("a");
      await queue.send([message(a, 1), message(a, 2)]);
      await queue.release(await receive(1, LONG));
      const next = (await receive(10, LONG)).filter((d) => d.message.actorId === a);
      expect(next[0]?.message.id).toBe(message(a, 1).id);
      // A queue that can take a receive back (local) does; SQS cannot, and counts it.
      expect(next[0]?.receiveCount).toBeLessThanOrEqual(2);
    });

    test(
      name("retry with a delay hides the message and its actor's later ones until the delay passes"),
      async () => {
        const { queue } = fixture();
        const a = uniqueId("a");
        await queue.send([message(a, 1), message(a, 2)]);
        await queue.retry(await receive(1, LONG), SHORT);
        expect(idsOf(await receive(10, LONG), a)).toEqual([]);
        await pass(SHORT);
        expect(idsOf(await receive(10, LONG), a)[0]).toBe(message(a, 1).id);
      },
    );

    test(
      name("retry never dead-letters: a message retried past maxReceives stays first in its actor's order"),
      async () => {
        const { queue } = fixture();
        const a = uniqueId("a");
        await queue.send([message(a, 1), message(a, 2)]);
        for (let attempt = 1; attempt <= queue.maxReceives + 1; attempt++) {
          const batch = await receive(1, LONG);
          expect(idsOf(batch)).toEqual([message(a, 1).id]);
          expect(batch[0]?.receiveCount).toBe(attempt);
          await queue.retry(batch, 0);
        }
        expect(await queue.deadLetters(a)).toEqual([]);
      },
    );

    test(
      name("deadLetter puts a message in the DLQ with its reason and receive count, once per letter id"),
      async () => {
        const { queue } = fixture();
        const a = uniqueId("a");
        const poison = message(a, 1);
        const letter = {
          id: `${poison.id}:dead-letter:v3`,
          message: poison,
          reason: "HANDLER_FAILED: boom",
          receiveCount: 5,
        };
        await queue.deadLetter([letter]);
        await queue.deadLetter([letter]);
        const dead = await queue.deadLetters(a);
        expect(dead.map((d) => d.message.id)).toEqual([poison.id]);
        expect(dead[0]).toMatchObject({ receiveCount: 5, reason: "HANDLER_FAILED: boom" });
        // The same message dead-lettered again later (redriven, failed again) is a new letter.
        await queue.deadLetter([
          { ...letter, id: `${poison.id}:dead-letter:v7`, reason: "HANDLER_FAILED: again" },
        ]);
        expect((await queue.deadLetters(a)).map((d) => d.reason).sort()).toEqual([
          "HANDLER_FAILED: again",
          "HANDLER_FAILED: boom",
        ]);
        expect(await queue.deadLetters(uniqueId("other"))).toEqual([]);
        // The actor queue is untouched: a dead letter is not a delivery.
        expect(idsOf(await receive(10, LONG), a)).toEqual([]);
      },
    );

    test(
      name(
        "the queue's own redrive dead-letters a message only after maxReceives plus its slack, then delivers the next",
      ),
      async () => {
        const { queue } = fixture();
        const a = uniqueId("a");
        await queue.send([message(a, 1), message(a, 2)]);
        for (let attempt = 1; attempt <= fixture().redriveAfter; attempt++) {
          expect(idsOf(await receive(1, SHORT))).toEqual([message(a, 1).id]);
          await pass(SHORT);
        }
        expect(idsOf(await receive(10, LONG))).toEqual([message(a, 2).id]);
        expect((await queue.deadLetters(a)).map((letter) => letter.message.id)).toEqual([message(a, 1).id]);
      },
    );

    test(
      name("ignores a second send of a message id, in one batch, later, and after it was acknowledged"),
      async () => {
        const { queue } = fixture();
        const a = uniqueId("a");
        await queue.send([message(a, 1), message(a, 1)]);
        await queue.send([message(a, 1)]);
        const batch = await receive(10, LONG);
        expect(idsOf(batch)).toEqual([message(a, 1).id]);
        await queue.ack(batch);
        expect(await receive(10, LONG)).toEqual([]);
        await queue.send([message(a, 1)]);
        await pass(0);
        expect(await receive(10, LONG)).toEqual([]);
      },
    );

    test(name("accepts empty sends, acks and retries as no-ops"), async () => {
      const { queue } = fixture();
      await queue.send([]);
      await queue.ack([]);
      await queue.retry([], 0);
      expect(await receive(10, LONG)).toEqual([]);
    });
  });
}
