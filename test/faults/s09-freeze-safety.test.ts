import { describe, expect, test } from "bun:test";
import { createLambdaHandler } from "../../runtime/adapters/aws/lambda.ts";
import { encodeMessage } from "../../runtime/adapters/aws/sqs-codec.ts";
import { delayedTimerBody } from "../../runtime/adapters/aws/timer-envelope.ts";
import { actor } from "../../runtime/core/actor.ts";
import { BACKENDS, type BackendKind, type Environment, openEnvironment, type Worker } from "./backends.ts";
import type { FaultRule } from "./fault-injector.ts";
import { freshId, lambdaContext } from "./scenario-kit.ts";
import { SEEDS, seedTag } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 9. Lambda freezes the process the moment the handler's promise settles: anything still
 * running (a send, a schedule, a read) is suspended mid-flight. So when an invocation settles, no
 * port call and no AWS SDK request it started may still be in flight, whether it succeeded or
 * failed. On aws the invocations go through the Lambda entry (createLambdaHandler); locally through
 * Fabric.invoke and applyBatch. Port calls are counted by the wrapped ports, SDK requests by
 * middleware.
 */
const fanout = actor("fanout", {
  state: () => ({ n: 0, seen: [] as string[] }),
  handlers: {
    spread(ctx, input: { targets: string[] }) {
      ctx.state.n += 1;
      for (const target of input.targets) ctx.send(target, "note", { from: ctx.actorId });
      ctx.setAlarm(20 * 60_000, { name: "later" });
      return { n: ctx.state.n };
    },
    note(ctx, input: { from: string }) {
      ctx.state.seen.push(input.from);
    },
    /** A due timer (straight into the queue) and a far one (a Scheduler schedule) in one relay. */
    dueAndFar(ctx) {
      ctx.setAlarm(0, { name: "now" });
      ctx.setAlarm(20 * 60_000, { name: "later" });
    },
  },
});

interface Case {
  name: string;
  /** Faults at the ports, on both backends: the core's own concurrency is what is under test. */
  portFaults: FaultRule[];
  /** Faults at the backend's own layer (SDK middleware on aws). */
  faults?: FaultRule[];
  handler?: "spread" | "dueAndFar";
  /** Something else holds the actor's lease for this long first. */
  holdLeaseMs?: number;
  batch?: boolean;
}

const CASES: Case[] = [
  { name: "a plain turn with sends and a timer", portFaults: [] },
  {
    name: "slow sends and a slow schedule",
    portFaults: [
      { ops: ["send"], latencyMs: [50, 80] },
      { ops: ["schedule"], latencyMs: [250, 300] },
    ],
  },
  {
    name: "a send failing while the schedule is slow",
    portFaults: [
      { ops: ["send"], errorBefore: 1 },
      { ops: ["schedule"], latencyMs: [250, 300] },
    ],
  },
  {
    name: "a schedule failing while the sends are slow",
    portFaults: [
      { ops: ["schedule"], errorBefore: 1 },
      { ops: ["send"], latencyMs: [250, 300] },
    ],
  },
  {
    name: "a lease wait while the first load is slow",
    portFaults: [{ ops: ["load"], latencyMs: [400, 450], limit: 1 }],
    holdLeaseMs: 150,
  },
  {
    // Inside the aws adapter's timer relay: the due timer's SQS send fails while Scheduler is slow.
    name: "a due timer's send failing while a far timer's schedule request is slow",
    portFaults: [],
    faults: [
      { ops: ["schedule"], errorBefore: 1, when: (call) => call.command === "SendMessageBatchCommand" },
      { ops: ["schedule"], latencyMs: [250, 300], when: (call) => call.command === "CreateScheduleCommand" },
    ],
    handler: "dueAndFar",
  },
  {
    name: "a queued batch over two actors, one relay failing",
    portFaults: [
      { ops: ["send"], errorBefore: 1, limit: 1 },
      { ops: ["schedule"], latencyMs: [250, 300] },
    ],
    batch: true,
  },
];

/** What was still in flight the moment the invocation settled. */
async function settleAndLook(
  w: Worker,
  run: () => Promise<unknown>,
): Promise<{ outcome: string; pending: string }> {
  const look = () => [w.inFlight.describe(), w.sdk?.inFlight.describe() ?? ""].filter(Boolean).join("; ");
  return run().then(
    () => ({ outcome: "ok", pending: look() }),
    (error: { code?: string }) => ({ outcome: error.code ?? String(error), pending: look() }),
  );
}

async function runCase(
  env: Environment,
  backend: BackendKind,
  c: Case,
  index: number,
): Promise<{ outcome: string; pending: string }> {
  const w = await env.worker({
    name: `s09-${backend}-${index}`,
    actors: [fanout],
    portFaults: c.portFaults,
    faults: c.faults,
  });
  const handlerName = c.handler ?? "spread";
  const actorId = freshId("fanout");
  const targets = [freshId("fanout-t"), freshId("fanout-t")];
  if (c.holdLeaseMs) await w.raw.store.acquireLease(actorId, "someone-else", c.holdLeaseMs, Date.now());
  const handler = w.aws
    ? createLambdaHandler([fanout], { ports: w.aws, write: () => undefined, retryDelayMs: () => 0 })
    : undefined;
  if (c.batch) {
    const messages = [actorId, freshId("fanout")].map((id) => ({
      id: freshId("m"),
      actorId: id,
      actorType: "fanout",
      handler: "spread",
      input: { targets },
      kind: "send" as const,
    }));
    if (!handler || !w.aws) return settleAndLook(w, () => w.fabric.applyBatch(messages));
    const arn = w.aws.settings.queueArn ?? w.aws.settings.queueUrl;
    const Records = messages.map((m) => ({
      messageId: `sqs-${m.id}`,
      receiptHandle: `receipt-${m.id}`,
      body: encodeMessage(m, Date.now()).body,
      attributes: { ApproximateReceiveCount: "1", MessageGroupId: m.actorId },
      eventSource: "aws:sqs",
      eventSourceARN: arn,
    }));
    return settleAndLook(w, () => handler({ Records }, lambdaContext()));
  }
  if (!handler)
    return settleAndLook(w, () => w.fabric.invoke({ actorId, handler: handlerName, input: { targets } }));
  return settleAndLook(w, async () => {
    const result = await handler(
      { type: "durable.invoke", actorId, handler: handlerName, input: { targets } },
      lambdaContext(),
    );
    if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
    return result;
  });
}

for (const backend of BACKENDS) {
  describe(`[${backend}] freeze safety`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] when an invocation settles, in success or failure, none of its port calls or SDK requests is still running${seedTag(seed)}`, async () => {
        const env = await openEnvironment(backend, { label: "s09", seed });
        try {
          const results: { case: string; outcome: string; pending: string }[] = [];
          for (const [i, c] of CASES.entries())
            results.push({ case: c.name, ...(await runCase(env, backend, c, i)) });
          console.log(
            `[${backend}] s09: ${results.map((r) => `${r.case}: ${r.outcome}${r.pending ? ` (pending ${r.pending})` : ""}`).join("; ")}`,
          );
          recordRun("freeze safety", backend, {
            operations: results.length,
            violations: results.filter((r) => r.pending !== "").length,
          });

          for (const r of results)
            expect({ case: r.case, pending: r.pending }).toEqual({ case: r.case, pending: "" });
          // The failing cases did fail, so the check covered settling by rejection too.
          expect(results.filter((r) => r.outcome !== "ok").length).toBeGreaterThanOrEqual(2);
        } finally {
          await env.close();
        }
      });
  });
}

if (BACKENDS.includes("aws")) {
  describe("[aws] freeze safety of the delay-queue relay", () => {
    for (const seed of SEEDS)
      test(`[aws] when the Lambda entry relays delay-queue timers and one send fails, the other send is not left running${seedTag(seed)}`, async () => {
        const env = await openEnvironment("aws", { label: "s09-delay", seed, delayQueue: true });
        try {
          const queueOf = (args: unknown) => (args as { QueueUrl?: string } | undefined)?.QueueUrl;
          let urls: { fifo?: string; delay?: string } = {};
          const w = await env.worker({
            name: "s09-aws-delay",
            actors: [fanout],
            faults: [
              {
                ops: "all",
                errorBefore: 1,
                when: (call) =>
                  call.command === "SendMessageBatchCommand" && queueOf(call.args) === urls.fifo,
              },
              {
                ops: "all",
                latencyMs: [250, 300],
                when: (call) =>
                  call.command === "SendMessageBatchCommand" && queueOf(call.args) === urls.delay,
              },
            ],
          });
          const ports = w.aws;
          if (!ports?.settings.delayQueueUrl) throw new Error("no delay queue");
          const delayUrl = ports.settings.delayQueueUrl;
          urls = { fifo: ports.settings.queueUrl, delay: delayUrl };
          const actorId = freshId("fanout");
          const timer = (name: string, at: number) => ({
            actorId,
            actorType: "fanout",
            name,
            timerId: freshId(name),
            at,
          });
          const Records = [timer("due", Date.now() - 1_000), timer("later", Date.now() + 60_000)].map(
            (t) => ({
              messageId: freshId("delay"),
              receiptHandle: freshId("receipt"),
              body: delayedTimerBody(t),
              attributes: { ApproximateReceiveCount: "1" },
              eventSource: "aws:sqs",
              eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${delayUrl.slice(delayUrl.lastIndexOf("/") + 1)}`,
            }),
          );
          const handler = createLambdaHandler([fanout], { ports, write: () => undefined });
          const result = await settleAndLook(w, () => handler({ Records }, lambdaContext()));
          recordRun("freeze safety", "aws", { operations: 1, violations: result.pending === "" ? 0 : 1 });

          expect(w.faults.counts.error).toBeGreaterThan(0);
          expect(result.pending).toBe("");
        } finally {
          await env.close();
        }
      });
  });
}
