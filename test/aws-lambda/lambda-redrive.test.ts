import { describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { DeleteMessageCommand } from "@aws-sdk/client-sqs";
import type { DurableRedriveEvent } from "../../runtime/adapters/aws/invoke-event.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import {
  failing,
  type LambdaFixture,
  lambdaContext,
  lambdaFixture,
  message,
  receive,
  recordsFrom,
  sqsEvent,
} from "./lambda-support.ts";

/** The event source mapping's part: receive, invoke, delete (nothing is reported failed here: the poison parks). */
async function applyQueue(f: LambdaFixture): Promise<void> {
  for (let round = 0; round < 10; round++) {
    const received = await receive(f.sqs, f.settings.queueUrl);
    if (received.length === 0) return;
    expect(
      await f.handler(sqsEvent(recordsFrom(received, f.settings.queueArn ?? "")), lambdaContext()),
    ).toEqual({ batchItemFailures: [] });
    for (const m of received) {
      await f.sqs.send(
        new DeleteMessageCommand({ QueueUrl: f.settings.queueUrl, ReceiptHandle: m.ReceiptHandle }),
      );
    }
  }
}

const id = (prefix: string) => `${prefix}-${randomUUID().slice(0, 6)}`;

describe("lambda entry: durable.redrive", () => {
  test("puts a parked actor's poison back ahead of its follower and, with unpark, runs both in order; the same event again applies nothing twice", async () => {
    const f = await lambdaFixture("redrive-ok", { settings: { maxReceives: 1 } });
    const actorId = id("ledger-rd");
    const poison = message(actorId, "append", { entry: "poison" });
    await f.ports.queue.send([poison, message(actorId, "append", { entry: "after" })]);
    failing.add("poison");
    try {
      await applyQueue(f);
    } finally {
      failing.delete("poison");
    }
    expect((await f.ports.store.read(actorId))?.waiting?.count).toBe(1);

    const event: DurableRedriveEvent = { type: "durable.redrive", actorId, messages: [poison], unpark: true };
    const first = await f.handler(event, lambdaContext());
    expect(first).toMatchObject({
      ok: true,
      actorId,
      redriven: 1,
      alreadyApplied: 0,
      drained: 2,
      parked: null,
    });
    expect((await f.ports.store.read(actorId))?.state).toMatchObject({ entries: ["poison", "after"] });
    expect(await f.handler(event, lambdaContext())).toMatchObject({
      ok: true,
      redriven: 0,
      alreadyApplied: 1,
    });
    expect((await f.ports.store.read(actorId))?.state).toMatchObject({ entries: ["poison", "after"] });
  }, 60_000);

  test("a failed signal route is routed again with the function's own routes, then runs at the actor it picks", async () => {
    const f = await lambdaFixture("redrive-route");
    const routed: ActorMessage = {
      id: `${randomUUID()}>shipping`,
      actorId: "shipping",
      actorType: "shipping",
      handler: "ship",
      input: { orderId: "o-1", region: id("eu") },
      kind: "signal",
      sentAt: Date.now(),
    };
    const result = await f.handler(
      {
        type: "durable.redrive",
        actorId: "shipping",
        messages: [routed],
        route: { signalType: "order.paid" },
      },
      lambdaContext(),
    );
    const region = (routed.input as { region: string }).region;
    expect(result).toMatchObject({ ok: true, actorId: `shipping-${region}`, redriven: 1, drained: 1 });
    expect((await f.ports.store.read(`shipping-${region}`))?.state).toEqual({ shipped: ["o-1"] });

    const gone = await f.handler(
      {
        type: "durable.redrive",
        actorId: "shipping",
        messages: [routed],
        route: { signalType: "order.cancelled" },
      },
      lambdaContext(),
    );
    expect(gone).toMatchObject({ ok: false, error: { code: "UNKNOWN_ACTOR" } });
  }, 60_000);

  test("a malformed event is answered with a typed error and writes nothing", async () => {
    const f = await lambdaFixture("redrive-bad");
    const actorId = id("ledger-bad");
    const good = message(actorId, "append", { entry: "x" });
    const cases: [unknown, string][] = [
      [{ type: "durable.redrive", actorId: "no spaces", messages: [good] }, "INVALID_ACTOR_ID"],
      [{ type: "durable.redrive", actorId }, "INVALID_INPUT"],
      [{ type: "durable.redrive", actorId, messages: [] }, "INVALID_INPUT"],
      [
        { type: "durable.redrive", actorId, messages: Array.from({ length: 11 }, () => good) },
        "INVALID_INPUT",
      ],
      [{ type: "durable.redrive", actorId, messages: [{ ...good, kind: "call" }] }, "INVALID_INPUT"],
      [
        { type: "durable.redrive", actorId, messages: [{ ...good, actorId: `${actorId}-other` }] },
        "INVALID_INPUT",
      ],
      [
        { type: "durable.redrive", actorId, messages: [good, good], route: { signalType: "order.paid" } },
        "INVALID_INPUT",
      ],
      [{ type: "durable.redrive", actorId, messages: [good], route: {} }, "INVALID_INPUT"],
    ];
    for (const [event, code] of cases) {
      const answer = await f.handler(event, lambdaContext());
      expect({ event, answer }).toMatchObject({ event, answer: { ok: false, error: { code } } });
    }
    expect(await f.ports.store.read(actorId)).toBeNull();
  }, 60_000);
});
