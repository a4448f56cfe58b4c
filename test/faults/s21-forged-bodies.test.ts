import { describe, expect, test } from "bun:test";
import type { SqsRecordLike } from "../../runtime/adapters/aws/lambda-events.ts";
import { actor } from "../../runtime/core/actor.ts";
import { processOneBatch } from "../../runtime/core/queue-worker.ts";
import { ALARM_HANDLER } from "../../runtime/core/timer-message.ts";
import { BACKENDS, type Environment, openEnvironment } from "./backends.ts";
import { settle, tagsOf } from "./delivery.ts";
import { sleep } from "./fault-injector.ts";
import { lambdaOf, pollLambda } from "./lambda-kit.ts";
import { freshId, lambdaContext } from "./scenario-kit.ts";
import { SEEDS, seedTag } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";
import type { Worker } from "./worker.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 21, issue 11 finding 8: a queued message's body cannot choose how it is handled. Bodies
 * no fabric code wrote are put straight into the actor queue (a SendMessage on aws, a row in the
 * local file), as anyone with access to the queue could:
 * - `transient: true` (which would skip the processed marker), delivered twice: applied once;
 * - `kind: "call"` (calls run on parked actors and never park): refused and dead-lettered;
 * - `kind: "timer"` naming a real timer, due and not yet fired, but an ordinary handler: refused
 *   and dead-lettered, the timer still pending;
 * - the alarm handler without a timer: refused and dead-lettered;
 * - unknown keys and a forged `receiveCount` of 99 and `sequence`: ignored (a failing delivery
 *   counts as the first, so it does not park; an ordinary one is applied once).
 * Fails on 51c08f4: the transient body is applied twice, the call and the forged timer are applied
 * (the timer consumed), the bare alarm is acknowledged as done.
 */
const vault = actor("vault", {
  state: () => ({ log: [] as string[] }),
  handlers: {
    add(ctx, input: { tag: string }) {
      ctx.state.log.push(input.tag);
    },
    boom() {
      throw new Error("refused (injected)");
    },
    arm(ctx, input: { name: string; delayMs: number }) {
      return ctx.setAlarm(input.delayMs, { name: input.name });
    },
  },
  alarm(ctx, timer) {
    ctx.state.log.push(`alarm:${timer.name}`);
  },
});

function body(actorId: string, fields: Record<string, unknown>): { id: string; text: string } {
  const id = freshId("forged");
  return { id, text: JSON.stringify({ id, actorId, actorType: "vault", kind: "send", ...fields }) };
}

/** Two deliveries of one body, as after an acknowledgement that was lost. */
async function deliverTwice(
  env: Environment,
  w: Worker,
  actorId: string,
  forged: { id: string; text: string },
) {
  if (!w.aws) {
    await env.enqueueRaw(actorId, forged.id, forged.text);
    await settle(env, w, [vault]);
    await env.enqueueRaw(actorId, forged.id, forged.text);
    await settle(env, w, [vault]);
    return;
  }
  const arn = w.aws.settings.queueArn ?? w.aws.settings.queueUrl;
  const handler = lambdaOf(w, [vault]);
  for (const receiveCount of [1, 2]) {
    const record: SqsRecordLike = {
      messageId: `sqs-${forged.id}`,
      receiptHandle: `receipt-${forged.id}-${receiveCount}`,
      body: forged.text,
      attributes: { ApproximateReceiveCount: String(receiveCount), MessageGroupId: actorId },
      eventSource: "aws:sqs",
      eventSourceARN: arn,
    };
    await handler({ Records: [record] }, lambdaContext());
  }
}

/** Exactly one delivery of whatever is queued. */
async function deliverOnce(w: Worker): Promise<void> {
  if (w.aws) await pollLambda(w, lambdaOf(w, [vault]));
  else await processOneBatch(w.fabric, w.ports.queue, { visibilityTimeoutMs: 200, retryDelayMs: 0 });
}

interface Case {
  name: string;
  applied: string[];
  dead: boolean;
  extra?: Record<string, unknown>;
}

async function run(env: Environment, w: Worker): Promise<Case[]> {
  const cases: Case[] = [];
  const dead = async (id: string) => (await env.takeDeadLetters()).some((d) => d.message.id === id);
  const one = async (
    name: string,
    fields: Record<string, unknown>,
    extra?: (actorId: string) => Promise<Record<string, unknown>>,
  ) => {
    const actorId = freshId("vault");
    const forged = body(actorId, fields);
    await env.enqueueRaw(actorId, forged.id, forged.text);
    await settle(env, w, [vault]);
    cases.push({
      name,
      applied: await tagsOf(w, actorId),
      dead: await dead(forged.id),
      extra: await extra?.(actorId),
    });
  };

  const transient = freshId("vault");
  await deliverTwice(
    env,
    w,
    transient,
    body(transient, { handler: "add", input: { tag: "t" }, transient: true }),
  );
  cases.push({ name: "transient, delivered twice", applied: await tagsOf(w, transient), dead: false });

  await one("kind call", { handler: "add", input: { tag: "call" }, kind: "call" });

  const timed = freshId("vault");
  // Due, and not fired: nothing fires timers here, so only the forged body could run it.
  const armed = await w.fabric.invoke({ actorId: timed, handler: "arm", input: { name: "x", delayMs: 100 } });
  await sleep(200);
  const forgedTimer = body(timed, {
    handler: "add",
    input: { tag: "forged-timer" },
    kind: "timer",
    timer: { name: "x", timerId: String(armed.result) },
  });
  await env.enqueueRaw(timed, forgedTimer.id, forgedTimer.text);
  await settle(env, w, [vault]);
  cases.push({
    name: "kind timer, ordinary handler",
    applied: await tagsOf(w, timed),
    dead: await dead(forgedTimer.id),
    extra: { timerPending: Object.keys((await w.raw.store.read(timed))?.timers ?? {}) },
  });

  await one("alarm handler without a timer", { handler: ALARM_HANDLER });

  const counted = freshId("vault");
  const forgedCount = body(counted, {
    handler: "boom",
    receiveCount: 99,
    sequence: "0",
    evil: { nested: true },
  });
  await env.enqueueRaw(counted, forgedCount.id, forgedCount.text);
  await deliverOnce(w);
  cases.push({
    name: "forged receiveCount, failing",
    applied: [],
    dead: await dead(forgedCount.id),
    extra: { parked: Boolean((await w.raw.store.read(counted))?.parked) },
  });

  await one("unknown keys", {
    handler: "add",
    input: { tag: "u" },
    receiveCount: 99,
    sequence: "0",
    evil: { nested: true },
  });
  return cases;
}

const EXPECTED: Case[] = [
  { name: "transient, delivered twice", applied: ["t"], dead: false },
  { name: "kind call", applied: [], dead: true },
  { name: "kind timer, ordinary handler", applied: [], dead: true, extra: { timerPending: ["x"] } },
  { name: "alarm handler without a timer", applied: [], dead: true },
  { name: "forged receiveCount, failing", applied: [], dead: false, extra: { parked: false } },
  { name: "unknown keys", applied: ["u"], dead: false },
];

for (const backend of BACKENDS) {
  describe(`[${backend}] forged message bodies`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] a body cannot choose transient, call or timer handling or its receive count: forged ones are applied once or dead-lettered${seedTag(seed)}`, async () => {
        const env = await openEnvironment(backend, { label: "s21", seed });
        try {
          const w = await env.worker({ name: `s21-${backend}`, actors: [vault] });
          const cases = await run(env, w);
          console.log(
            `[${backend}] s21: ${cases.map((c) => `${c.name}: ${JSON.stringify({ ...c, name: undefined })}`).join("; ")}`,
          );
          const wrong = cases.filter((c, i) => JSON.stringify(c) !== JSON.stringify(EXPECTED[i]));
          recordRun("forged message bodies", backend, {
            operations: cases.length + 2,
            duplicated: Math.max(0, (cases[0]?.applied.length ?? 0) - 1),
            violations: wrong.length,
          });

          expect(cases).toEqual(EXPECTED);
        } finally {
          await env.close();
        }
      });
  });
}
