import { afterEach, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import type { DurableUnparkResult } from "../../runtime/adapters/aws/invoke-event.ts";
import {
  failing,
  type LambdaFixture,
  lambdaContext,
  lambdaFixture,
  message,
  pollOnce,
} from "./lambda-support.ts";

/*
 * Parking through the real Lambda entry on DynamoDB Local + fauxqs, with the event source mapping
 * played by pollOnce (receive, invoke, delete what was not reported failed). Before issue 11 the
 * followers of a poison message failed as "parked" on every delivery and followed it into the DLQ
 * after maxReceives; now they wait in the actor's waiting list and run after the unpark.
 */
const MAX_RECEIVES = 2;

afterEach(() => failing.clear());

async function settle(f: LambdaFixture, rounds = 40): Promise<number> {
  let delivered = 0;
  for (let i = 0; i < rounds; i++) {
    const n = await pollOnce(f);
    delivered += n;
    if (n === 0) break;
  }
  return delivered;
}

describe("lambda entry: a parked actor's followers wait, then run in order", () => {
  test("poison + 3 followers: parked, DLQ holds only the poison, followers held; durable.unpark runs them once each, in order", async () => {
    const f = await lambdaFixture("parking", {
      settings: { maxReceives: MAX_RECEIVES },
      handler: { retryDelayMs: () => 0 },
    });
    const actorId = `ledger-${randomUUID().slice(0, 8)}`;
    const tags = ["poison", "f1", "f2", "f3"];
    await f.ports.queue.send(
      tags.map((entry) => message(actorId, "append", { entry }, `${actorId}-${entry}`)),
    );
    failing.add("poison");
    await settle(f);
    // A follower sent after the park is held behind the others.
    await f.ports.queue.send([message(actorId, "append", { entry: "f4" }, `${actorId}-f4`)]);
    await settle(f);

    const record = await f.ports.store.read(actorId);
    expect(record?.parked).toMatchObject({
      messageId: `${actorId}-poison`,
      error: { code: "HANDLER_FAILED" },
    });
    expect(record?.waiting?.count).toBe(4);
    expect(record?.state).toMatchObject({ entries: [] });
    const dead = await f.ports.queue.deadLetters(actorId);
    expect(dead.map((d) => d.message.id)).toEqual([`${actorId}-poison`]);
    expect(dead[0]?.reason).toBe("HANDLER_FAILED: entry poison refused");
    expect(f.json().some((l) => l.Source === "actor-queue" && l.ActorsParked === 1)).toBe(true);

    failing.clear();
    const unparked = (await f.handler(
      { type: "durable.unpark", actorId },
      lambdaContext(),
    )) as DurableUnparkResult;
    expect(unparked).toMatchObject({ ok: true, wasParked: true, waiting: 4, drained: 4, stillWaiting: 0 });
    expect((await f.ports.store.read(actorId))?.state).toMatchObject({ entries: ["f1", "f2", "f3", "f4"] });
    expect((await f.ports.queue.deadLetters(actorId)).map((d) => d.message.id)).toEqual([
      `${actorId}-poison`,
    ]);
  }, 60_000);

  test("an unpark of an unknown actor answers a typed error, not a function failure", async () => {
    const f = await lambdaFixture("parking-bad");
    const answer = (await f.handler(
      { type: "durable.unpark", actorId: "no such id!" },
      lambdaContext(),
    )) as DurableUnparkResult;
    expect(answer).toMatchObject({ ok: false, error: { code: "INVALID_ACTOR_ID" } });
  });

  test("an SQS record without attributes is handled on its own (receive count 1), not a TypeError for the batch", async () => {
    const f = await lambdaFixture("no-attributes");
    const actorId = `ledger-${randomUUID().slice(0, 8)}`;
    await f.ports.queue.send([message(actorId, "append", { entry: "bare" }, `${actorId}-bare`)]);
    const { receive, recordsFrom, sqsEvent } = await import("./lambda-support.ts");
    const [received] = await receive(f.sqs, f.settings.queueUrl);
    if (!received) throw new Error("nothing received");
    const [record] = recordsFrom([received], f.settings.queueArn ?? "");
    if (!record) throw new Error("no record");
    const { attributes: _attributes, ...bare } = record;
    const result = await f.handler(sqsEvent([bare as typeof record]), lambdaContext());
    expect(result).toEqual({ batchItemFailures: [] });
    expect((await f.ports.store.read(actorId))?.state).toMatchObject({ entries: ["bare"] });
  });
});
