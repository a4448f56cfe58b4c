/**
 * `durable dlq --stage` against a stage on emulators (DynamoDB Local + fauxqs), the stage's
 * function being the real Lambda handler served in this process: see dlq-stage-fixture.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { openDlqTarget } from "../../cli/dlq/target.ts";
import { SIGNAL_SOURCE } from "../../runtime/adapters/aws/config.ts";
import { lambdaContext } from "../aws-lambda/lambda-support.ts";
import { EMULATOR_REGION } from "../support/emulator-credentials.ts";
import {
  applyQueue,
  cli,
  closeStage,
  ENV,
  endpoint,
  entries,
  handler,
  json,
  type ListedLetter,
  openStage,
  park,
  ports,
  refused,
  root,
  route,
  STAGE,
  signalInDlq,
} from "./dlq-stage-fixture.ts";

beforeAll(openStage, 120_000);
afterAll(closeStage);

describe("durable dlq on a stage (DynamoDB Local + fauxqs, the function served in process)", () => {
  test("list covers the actor DLQ and the signal DLQ and says which each letter is in; show prints body and error; listing leaves them in place", async () => {
    const poison = await park("ledger-s1", "bad", ["f1"]);
    const signalId = await signalInDlq("us", "paid-1");
    const list = await cli(["dlq", "list"]);
    expect(list.exitCode).toBe(0);
    expect(list.stderr).toContain(
      `→ stage ${STAGE} (ledger-${STAGE}, ${EMULATOR_REGION} via ${endpoint.url})`,
    );
    expect(list.stdout).toMatch(
      new RegExp(`${poison}\\s+actors\\s+ledger-s1\\s+append\\s+\\S+Z\\s+1\\s+HANDLER_FAILED`),
    );
    expect(list.stdout).toMatch(
      new RegExp(`${signalId}\\s+signals\\s+-\\s+signal order.paid\\s+\\S+Z\\s+9\\s+Lambda`),
    );

    const listed = await json<{ letters: ListedLetter[] }>(["dlq", "list"]);
    const mine = listed.letters.filter((l) => l.messageId === poison || l.messageId === signalId);
    expect(mine).toHaveLength(2);
    expect(mine.find((l) => l.dlq === "actors")).toMatchObject({
      messageId: poison,
      actorId: "ledger-s1",
      handler: "append",
      reason: "HANDLER_FAILED: entry bad refused",
      receiveCount: 1,
    });
    expect(mine.find((l) => l.dlq === "signals")).toMatchObject({
      messageId: signalId,
      actorId: null,
      signalType: "order.paid",
      reason: "Lambda.TooManyRequestsException: Rate exceeded",
      receiveCount: 9,
    });
    const byActor = await json<{ letters: ListedLetter[] }>(["dlq", "list", "--actor", "ledger-s1"]);
    expect(byActor.letters.map((l) => l.messageId)).toEqual([poison]);

    const shown = await json<{ reason: string; body: { input: unknown } }>(["dlq", "show", poison]);
    expect(shown.reason).toBe("HANDLER_FAILED: entry bad refused");
    expect(shown.body.input).toEqual({ entry: "bad" });

    // Clean up for the other cases: purge what this case made.
    await json(["dlq", "purge", "--actor", "ledger-s1", "--yes"]);
    const purged = await json<{ messageIds: string[] }>(["dlq", "purge", "--yes"]);
    expect(purged.messageIds).toContain(signalId);
  }, 60_000);

  test("redrive runs in the function: the poison goes back ahead of its followers and runs once, first (--unpark), or waits parked; a failed route and a signal event are delivered again; each leaves its DLQ", async () => {
    const p1 = await park("ledger-r1", "bad", ["f1", "f2"]);
    const p2 = await park("ledger-r2", "bad", ["g1"]);
    route.broken = true;
    await handler(
      {
        version: "0",
        id: randomUUID(),
        "detail-type": "order.paid",
        source: SIGNAL_SOURCE,
        time: new Date().toISOString(),
        detail: {
          id: "sig-route",
          source: "shop-1",
          at: Date.now(),
          detail: { region: "fr", entry: "route-1" },
        },
      },
      lambdaContext(),
    );
    const signalId = await signalInDlq("de", "event-1");
    expect((await json<{ letters: ListedLetter[] }>(["dlq", "list"])).letters).toHaveLength(4);
    refused.clear();
    route.broken = false;

    const r1 = await cli(["dlq", "redrive", "--actor", "ledger-r1", "--unpark"]);
    expect(r1.exitCode).toBe(0);
    expect(r1.stdout).toContain(
      "✔ ledger-r1: 1 put back ahead of its later messages, unparked, 3 ran in order",
    );
    expect(await entries("ledger-r1")).toEqual(["bad", "f1", "f2"]);
    expect((await ports.store.read("ledger-r1"))?.parked).toBeNull();

    const r2 = await cli(["dlq", "redrive", p2]);
    expect(r2.stdout).toContain("still parked; run durable state unpark ledger-r2 or redrive with --unpark");
    expect(await entries("ledger-r2")).toEqual([]);
    expect((await cli(["state", "unpark", "ledger-r2"])).exitCode).toBe(0);
    expect(await entries("ledger-r2")).toEqual(["bad", "g1"]);

    const rest = await cli(["dlq", "redrive", "--all"]);
    expect(rest.exitCode).toBe(0);
    expect(rest.stdout).toContain(
      "signal route sig-route>ledger (order.paid): routed again to ledger-fr, 1 ran in order",
    );
    expect(rest.stdout).toContain(
      `signal ${signalId} (order.paid): delivered to the function again, routed to 1 actor(s)`,
    );
    expect(await entries("ledger-fr")).toEqual(["route-1"]);
    await applyQueue(); // the re-delivered signal's message, through the actor queue
    expect(await entries("ledger-de")).toEqual(["event-1"]);
    expect((await json<{ letters: ListedLetter[] }>(["dlq", "list"])).letters).toEqual([]);
    const kinds = endpoint.invocations.map((e) => (e as { type?: string; source?: string }).type ?? "signal");
    expect(kinds.filter((k) => k === "durable.redrive")).toHaveLength(3);
    expect(p1).toBe("ledger-r1-bad");
  }, 90_000);

  test("redriving twice applies nothing twice: an invoke retried after the function committed, and a CLI stopped between the commit and the DLQ delete", async () => {
    const poison = await park("ledger-i1", "bad", ["h1"]);
    refused.clear();
    // Lambda fails after the function ran; the SDK sends the same redrive again.
    endpoint.failAfterRunning((e) => (e as { type?: string }).type === "durable.redrive");
    const before = endpoint.invocations.length;
    const first = await json<{ outcomes: { result: { redriven: number; drained: number } }[] }>([
      "dlq",
      "redrive",
      poison,
      "--unpark",
    ]);
    expect(endpoint.invocations.length - before).toBe(2);
    expect(first.outcomes[0]?.result).toMatchObject({ redriven: 0, alreadyApplied: 1, drained: 0 });
    expect(await entries("ledger-i1")).toEqual(["bad", "h1"]);

    // The CLI stops right after the function answered, before it deleted the letter: the test makes
    // the same redrive call through the stage target and never removes the letter; it comes back
    // when its hold runs out.
    const second = await park("ledger-i2", "bad", ["k1"]);
    refused.clear();
    const stopped = await openDlqTarget({ cwd: root, env: ENV }, STAGE, { fabric: true });
    const letter = (await stopped.letters(1)).find((l) => l.id === second);
    if (letter?.path.kind !== "actor") throw new Error("the poison is not in the DLQ");
    await stopped.redrive({
      type: "durable.redrive",
      actorId: "ledger-i2",
      messages: [letter.path.message],
      unpark: true,
    });
    expect(await entries("ledger-i2")).toEqual(["bad", "k1"]);
    await Bun.sleep(1_500);

    const again = await cli(["dlq", "redrive", second, "--unpark"]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain("ledger-i2: 1 already applied (left out), 0 ran in order");
    expect(await entries("ledger-i2")).toEqual(["bad", "k1"]);
    expect(
      (await json<{ letters: ListedLetter[] }>(["dlq", "list", "--actor", "ledger-i2"])).letters,
    ).toEqual([]);
    await stopped.close();
  }, 90_000);

  test("purge refuses without --yes when there is no terminal, holding nothing; asks on a terminal; --yes deletes from both DLQs", async () => {
    const poison = await park("ledger-p1", "bad", []);
    const signalId = await signalInDlq("it", "x");
    const refusedRun = await cli(["dlq", "purge"]);
    expect(refusedRun.exitCode).toBe(1);
    expect(refusedRun.stderr).toContain(
      "needs confirmation and there is no terminal to ask on (pass --yes to confirm)",
    );
    // Nothing was received, so nothing is hidden: a listing sees both at once.
    expect(
      (await json<{ letters: ListedLetter[] }>(["dlq", "list"])).letters.map((l) => l.messageId).sort(),
    ).toEqual([poison, signalId].sort());

    const declined = await cli(["dlq", "purge"], [false]);
    expect(declined.exitCode).toBe(1);
    expect(declined.prompts[0]).toContain("Delete 2 dead letter(s): 1 in the actor DLQ, 1 in the signal DLQ");
    const purged = await json<{ purged: number }>(["dlq", "purge", "--yes"]);
    expect(purged.purged).toBe(2);
    expect((await json<{ letters: ListedLetter[] }>(["dlq", "list"])).letters).toEqual([]);
  }, 60_000);
});
