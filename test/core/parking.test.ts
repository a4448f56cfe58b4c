import { afterEach, describe, expect, test } from "bun:test";
import { type LocalPorts, openLocalPorts } from "../../runtime/adapters/local/index.ts";
import { StoreUnavailableError } from "../../runtime/core/errors.ts";
import { Fabric } from "../../runtime/core/fabric.ts";
import { drainQueue } from "../../runtime/core/queue-worker.ts";
import { sweepStranded } from "../../runtime/core/sweeper.ts";
import { actor } from "../../runtime/index.ts";
import type { ActorStore } from "../../runtime/ports/actor-store.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import { ManualClock } from "../../runtime/testing/manual-clock.ts";

/*
 * Parking, the waiting list and unpark on the core with the local backend (the fault scenarios
 * drive the same rules on both backends under injected failures). A message whose last permitted
 * delivery fails parks its actor, whatever failed; its followers wait in order, never dead-lettered.
 */
const MAX_RECEIVES = 3;
const broken = new Set<string>();

const picky = actor("picky", {
  state: () => ({ log: [] as string[] }),
  handlers: {
    eat(ctx, input: { tag: string }) {
      if (broken.has(input.tag)) throw new Error(`cannot eat ${input.tag}`);
      ctx.state.log.push(input.tag);
    },
    forward(ctx, input: { tag: string; to: string }) {
      ctx.state.log.push(input.tag);
      ctx.send(input.to, "eat", { tag: input.tag });
    },
  },
});

let ports: LocalPorts;
afterEach(() => {
  broken.clear();
  ports?.close();
});

function setup(store?: (inner: ActorStore) => ActorStore) {
  const clock = new ManualClock();
  ports = openLocalPorts({ path: ":memory:", clock, maxReceives: MAX_RECEIVES });
  const fabric = new Fabric({
    ports: store ? { ...ports, store: store(ports.store) } : ports,
    actors: [picky],
    owner: "test",
  });
  const send = (actorId: string, ...tags: string[]) =>
    ports.queue.send(
      tags.map(
        (tag): ActorMessage => ({
          id: `${actorId}:${tag}`,
          actorId,
          actorType: "picky",
          handler: "eat",
          input: { tag },
          kind: "send",
        }),
      ),
    );
  const drain = () => drainQueue(fabric, ports.queue, { batchSize: 10 });
  const log = async (actorId: string) =>
    ((await ports.store.read(actorId))?.state as { log: string[] } | null)?.log ?? [];
  const dead = async (actorId: string) =>
    (await ports.queue.deadLetters(actorId)).map((d) => (d.message.input as { tag: string }).tag);
  return { fabric, clock, send, drain, log, dead };
}

describe("a poison message parks its actor; its followers wait in order", () => {
  test("poison + 3 followers: parked, followers held (not dead-lettered); unpark runs them once each, in order", async () => {
    const { fabric, send, drain, log, dead } = setup();
    broken.add("poison");
    await send("picky-1", "before", "poison", "f1", "f2", "f3");
    await drain();
    const record = await ports.store.read("picky-1");
    expect(record?.parked).toMatchObject({ messageId: "picky-1:poison", error: { code: "HANDLER_FAILED" } });
    expect(record?.waiting?.count).toBe(3);
    expect(await log("picky-1")).toEqual(["before"]);
    expect(await dead("picky-1")).toEqual(["poison"]);
    expect((await ports.queue.deadLetters("picky-1"))[0]).toMatchObject({
      receiveCount: MAX_RECEIVES,
      reason: "HANDLER_FAILED: cannot eat poison",
    });
    // Sent after the park: held behind the others, not run and not dead-lettered.
    await send("picky-1", "f4");
    await drain();
    expect(await log("picky-1")).toEqual(["before"]);
    expect((await ports.store.read("picky-1"))?.waiting?.count).toBe(4);

    broken.clear();
    const unparked = await fabric.unpark("picky-1");
    expect(unparked).toMatchObject({
      wasParked: true,
      waiting: 4,
      drained: 4,
      stillWaiting: 0,
      parkedAgain: null,
    });
    expect(await log("picky-1")).toEqual(["before", "f1", "f2", "f3", "f4"]);
    expect(await dead("picky-1")).toEqual(["poison"]);
    await drain();
    expect(await log("picky-1")).toEqual(["before", "f1", "f2", "f3", "f4"]);
  });

  test("a store failure on the last permitted delivery parks the actor too (no handler failed)", async () => {
    let failCommits = 0;
    const { send, drain, log, dead } = setup((inner) =>
      Object.assign(Object.create(inner) as ActorStore, {
        commit: async (commit: Parameters<ActorStore["commit"]>[0]) => {
          // Injected: the store is down for every turn that would apply "victim", not for the park.
          if (failCommits > 0 && commit.parked === null) {
            failCommits--;
            throw new StoreUnavailableError("injected: DynamoDB unreachable");
          }
          return inner.commit(commit);
        },
      }),
    );
    failCommits = 100;
    await send("picky-2", "victim", "next");
    await drain();
    const record = await ports.store.read("picky-2");
    expect(record?.parked).toMatchObject({
      messageId: "picky-2:victim",
      error: { code: "STORE_UNAVAILABLE" },
    });
    expect(record?.waiting?.count).toBe(1);
    expect(await dead("picky-2")).toEqual(["victim"]);
    expect(await log("picky-2")).toEqual([]);
  });

  test("a delivery past the last permitted one (its turn crashed) parks without running the handler", async () => {
    const { fabric, send, log, dead } = setup();
    await send("picky-3", "crashy");
    // Three deliveries that crash before anything is acknowledged or retried.
    for (let i = 0; i < MAX_RECEIVES; i++) {
      const batch = await ports.queue.receive({ maxMessages: 10, visibilityTimeoutMs: 0 });
      expect(batch).toHaveLength(1);
    }
    const [fourth] = await ports.queue.receive({ maxMessages: 10, visibilityTimeoutMs: 1_000 });
    if (!fourth) throw new Error("no fourth delivery");
    const verdicts = await fabric.applyBatch([fourth.message]);
    expect(verdicts.get("picky-3:crashy")).toBe("parked");
    expect((await ports.store.read("picky-3"))?.parked?.error.code).toBe("DELIVERIES_EXHAUSTED");
    expect(await log("picky-3")).toEqual([]);
    expect(await dead("picky-3")).toEqual(["crashy"]);
  });

  test("a waiting message that fails maxReceives times while draining parks the actor again", async () => {
    const { fabric, send, drain, log, dead } = setup();
    broken.add("poison");
    await send("picky-4", "poison", "bad", "good");
    await drain();
    broken.delete("poison");
    broken.add("bad");
    const first = await fabric.unpark("picky-4");
    expect(first).toMatchObject({ waiting: 2, drained: 0, parkedAgain: null, stillWaiting: 2 });
    // Each later turn (a delivery, the sweeper) tries the head again until it runs out of attempts.
    for (let i = 0; i < MAX_RECEIVES; i++) await fabric.settle("picky-4", "picky");
    const record = await ports.store.read("picky-4");
    expect(record?.parked).toMatchObject({ messageId: "picky-4:bad" });
    expect(record?.waiting?.count).toBe(1);
    expect(await dead("picky-4")).toEqual(["poison", "bad"]);
    broken.clear();
    expect(await fabric.unpark("picky-4")).toMatchObject({ waiting: 1, drained: 1 });
    expect(await log("picky-4")).toEqual(["good"]);
  });

  test("unpark commits through a fenced turn: a turn that loaded the parked record cannot write it back", async () => {
    let stall: (() => Promise<void>) | undefined;
    const { fabric, clock, send, drain, log } = setup();
    broken.add("poison");
    await send("picky-5", "poison");
    await drain();
    broken.clear();
    // Another process: its sync call (calls run on a parked actor) loads the parked record, then
    // stalls before its commit for longer than its lease.
    const other = new Fabric({
      ports: {
        ...ports,
        store: Object.assign(Object.create(ports.store) as ActorStore, {
          commit: async (commit: Parameters<ActorStore["commit"]>[0]) => {
            const pause = stall;
            stall = undefined;
            await pause?.();
            return ports.store.commit(commit);
          },
        }),
      },
      actors: [picky],
      owner: "other",
    });
    let resume: () => void = () => undefined;
    let stalled: () => void = () => undefined;
    const isStalled = new Promise<void>((r) => {
      stalled = r;
    });
    stall = () =>
      new Promise<void>((r) => {
        resume = r;
        stalled();
      });
    const call = other.invoke({
      actorId: "picky-5",
      handler: "eat",
      input: { tag: "call" },
      messageId: "c1",
    });
    await isStalled;
    clock.advance(60_000);
    expect(await fabric.unpark("picky-5")).toMatchObject({ wasParked: true, version: 2 });
    resume();
    await call;
    const record = await ports.store.read("picky-5");
    // The stalled commit was refused (its lease was gone) and the call re-ran on the unparked record.
    expect(record?.parked).toBeNull();
    expect(record?.version).toBe(3);
    expect(await log("picky-5")).toEqual(["call"]);
  });
});

describe("redrive puts dead letters back ahead of their actor's later messages", () => {
  test("without --unpark the poison waits at the head; unpark then runs it first, then its followers, in order", async () => {
    const { fabric, send, drain, log, dead } = setup();
    broken.add("poison");
    await send("picky-r1", "poison", "f1", "f2");
    await drain();
    broken.clear();
    const [letter] = await ports.queue.deadLetters("picky-r1");
    if (!letter) throw new Error("no dead letter");
    const put = await fabric.redrive("picky-r1", [letter.message]);
    expect(put).toMatchObject({ redriven: 1, alreadyApplied: 0, drained: 0, stillWaiting: 3 });
    expect((await ports.store.read("picky-r1"))?.parked).not.toBeNull();
    expect(await log("picky-r1")).toEqual([]);
    expect(await fabric.unpark("picky-r1")).toMatchObject({ waiting: 3, drained: 3, stillWaiting: 0 });
    expect(await log("picky-r1")).toEqual(["poison", "f1", "f2"]);
    expect(await dead("picky-r1")).toEqual(["poison"]);
  });

  test("with unpark it runs at once, ahead of the followers; redriving again applies nothing twice", async () => {
    const { fabric, send, drain, log } = setup();
    broken.add("poison");
    await send("picky-r2", "poison", "f1");
    await drain();
    broken.clear();
    const [letter] = await ports.queue.deadLetters("picky-r2");
    if (!letter) throw new Error("no dead letter");
    const first = await fabric.redrive("picky-r2", [letter.message], { unpark: true });
    expect(first).toMatchObject({ redriven: 1, drained: 2, stillWaiting: 0, parked: null });
    expect(await log("picky-r2")).toEqual(["poison", "f1"]);
    const again = await fabric.redrive("picky-r2", [letter.message], { unpark: true });
    expect(again).toMatchObject({ redriven: 0, alreadyApplied: 1, drained: 0 });
    expect(await log("picky-r2")).toEqual(["poison", "f1"]);
  });
});

describe("the sweeper finishes what a crash left", () => {
  test("an outbox committed but never relayed is relayed without another call to the actor", async () => {
    const { fabric, clock, drain, log } = setup();
    // The commit of a turn whose process died before the relay: the outbox is all that is left.
    const lease = await ports.store.acquireLease("picky-6", "dead-process", 10_000, clock.now());
    await ports.store.commit({
      lease,
      actorType: "picky",
      expectedVersion: 0,
      version: 1,
      state: { log: ["sent"] },
      timers: {},
      parked: null,
      outbox: [
        {
          kind: "send",
          id: "picky-6:s0",
          message: {
            id: "picky-6:s0",
            actorId: "picky-7",
            actorType: "picky",
            handler: "eat",
            input: { tag: "late" },
            kind: "send",
          },
        },
      ],
      markers: [],
      waiting: null,
      hold: [],
      drained: [],
      release: false,
      now: clock.now(),
    });
    clock.advance(1_000);
    expect(await sweepStranded(fabric, { olderThanMs: 500 })).toMatchObject({
      found: 1,
      settled: 1,
      failed: 0,
    });
    await drain();
    expect(await log("picky-7")).toEqual(["late"]);
    expect((await ports.store.read("picky-6"))?.outbox).toEqual([]);
    expect(await sweepStranded(fabric, { olderThanMs: 500 })).toMatchObject({ found: 0 });
  });
});

describe("queued bodies cannot choose what only the path a message took decides", () => {
  test("a body claiming to be a sync call, or transient, is dead-lettered or stripped", async () => {
    const { fabric, drain, log, dead } = setup();
    const forged = (id: string, extra: Record<string, unknown>) =>
      ports.queue.send([
        {
          id,
          actorId: "picky-8",
          actorType: "picky",
          handler: "eat",
          input: { tag: id },
          kind: "send",
          ...extra,
        } as ActorMessage,
      ]);
    await forged("as-call", { kind: "call" });
    await forged("as-transient", { transient: true });
    await drain();
    expect(await dead("picky-8")).toEqual(["as-call"]);
    expect(await log("picky-8")).toEqual(["as-transient"]);
    // Not transient after all: its marker answers a redelivery, so it is applied once.
    await fabric.applyBatch([
      {
        id: "as-transient",
        actorId: "picky-8",
        actorType: "picky",
        handler: "eat",
        input: { tag: "again" },
        kind: "send",
      },
    ]);
    expect(await log("picky-8")).toEqual(["as-transient"]);
  });
});

describe("a turn longer than its lease renews it", () => {
  test("a handler that outlasts the lease three times over commits once", async () => {
    const slow = actor("slow", {
      state: () => ({ runs: 0 }),
      handlers: {
        async run(ctx) {
          ctx.state.runs += 1;
          await new Promise((resolve) => setTimeout(resolve, 400));
          return ctx.state.runs;
        },
      },
    });
    ports = openLocalPorts({ path: ":memory:" });
    const fabric = new Fabric({ ports, actors: [slow], owner: "t", leaseMs: 120 });
    const response = await fabric.invoke({ actorId: "slow-1", handler: "run", messageId: "m1" });
    expect(response).toMatchObject({ result: 1, version: 1 });
    expect((await ports.store.read("slow-1"))?.state).toEqual({ runs: 1 });
  });
});
