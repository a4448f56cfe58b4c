import { describe, expect, test } from "bun:test";
import { createLambdaHandler } from "../../runtime/adapters/aws/lambda.ts";
import type { SqsRecordLike } from "../../runtime/adapters/aws/lambda-events.ts";
import { actor } from "../../runtime/core/actor.ts";
import { type JsonValue, parseJson } from "../../runtime/core/json.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import { BACKENDS, openEnvironment, type Worker } from "./backends.ts";
import { freshId, lambdaContext } from "./scenario-kit.ts";
import { SEEDS, seedTag } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 11. Bad ids and bad bodies at every door: Fabric.invoke (sync and async), the JSON text
 * parser the CLI and dev server use, queued messages handed to the turn, and on aws the Lambda
 * entry's invoke event and SQS records. Each must be refused with a typed error, write nothing,
 * and never reach a handler: the victim below merges its input naively, as user code might, so a
 * __proto__ key that got through would pollute Object.prototype.
 */
type Loose = { [key: string]: unknown };

function naiveMerge(target: Loose, source: unknown): void {
  if (typeof source !== "object" || source === null) return;
  for (const key of Object.keys(source)) {
    const value = (source as Loose)[key];
    if (typeof value === "object" && value !== null) {
      if (typeof target[key] !== "object" || target[key] === null) target[key] = {};
      naiveMerge(target[key] as Loose, value);
    } else target[key] = value;
  }
}

const victim = actor("victim", {
  state: () => ({ merged: 0 }),
  handlers: {
    merge(ctx, input: unknown) {
      naiveMerge({}, input);
      ctx.state.merged += 1;
    },
  },
});

const BAD_IDS = ["", "x".repeat(129), "a\u0000b", "../x", "__proto__"];
const deep = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
const BAD_TEXTS: Record<string, string> = {
  "__proto__ key": '{"__proto__":{"p":1}}',
  "constructor.prototype": '{"constructor":{"prototype":{"p":1}}}',
  "depth 2000": deep(2000),
  "not JSON": '{"p": 1',
};
const EXPECTED_TEXT_CODES = ["UNSAFE_JSON_KEY", "UNSAFE_JSON_KEY", "JSON_TOO_DEEP", "INVALID_JSON"];

/** The bodies as a client's own JSON.parse would hand them over (own __proto__ key, real nesting). */
function parsedBodies(): unknown[] {
  return [
    JSON.parse(BAD_TEXTS["__proto__ key"] ?? ""),
    JSON.parse(BAD_TEXTS["constructor.prototype"] ?? ""),
    JSON.parse(deep(2000)),
  ];
}

const codeOf = (error: unknown) => (error as { code?: string }).code ?? `untyped: ${String(error)}`;

async function refusal(run: () => unknown): Promise<string> {
  try {
    await run();
    return "accepted";
  } catch (error) {
    return codeOf(error);
  }
}

/** Requests that reached the backend since `mark`: SDK commands on aws, port calls locally. */
function requestsSince(w: Worker, mark: number): number {
  return (w.sdk ? w.sdk.calls.count : w.inFlight.started) - mark;
}

for (const backend of BACKENDS) {
  describe(`[${backend}] bad input`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] bad ids and bad bodies are refused with typed errors, write nothing and never pollute prototypes${seedTag(seed)}`, async () => {
        const env = await openEnvironment(backend, { label: "s11", seed });
        try {
          const w = await env.worker({ name: `s11-${backend}`, actors: [victim] });
          const good = freshId("victim");
          const mark = w.sdk ? w.sdk.calls.count : w.inFlight.started;
          const codes: Record<string, string> = {};
          for (const id of BAD_IDS) {
            codes[`id ${JSON.stringify(id).slice(0, 12)} sync`] = await refusal(() =>
              w.fabric.invoke({ actorId: id, handler: "merge" }),
            );
            codes[`id ${JSON.stringify(id).slice(0, 12)} async`] = await refusal(() =>
              w.fabric.invoke({ actorId: id, handler: "merge", mode: "async" }),
            );
          }
          for (const [name, text] of Object.entries(BAD_TEXTS))
            codes[`text ${name}`] = await refusal(() => parseJson(text, "body"));
          for (const [i, input] of parsedBodies().entries()) {
            codes[`parsed body ${i}`] = await refusal(() =>
              w.fabric.invoke({ actorId: good, handler: "merge", input: input as JsonValue }),
            );
          }
          for (const handler of ["__proto__", "constructor", "toString"]) {
            codes[`handler ${handler}`] = await refusal(() => w.fabric.invoke({ actorId: good, handler }));
          }
          const requestsBeforeQueue = requestsSince(w, mark);

          // Queued messages nobody validated (a hand-written SQS body, a row written to the local file).
          const queued = (input: unknown, handler = "merge"): ActorMessage => ({
            id: freshId("bad"),
            actorId: good,
            actorType: "victim",
            handler,
            input: input as JsonValue,
            kind: "send",
          });
          const verdicts = await w.fabric.applyBatch([
            ...parsedBodies().map((body) => queued(body)),
            queued({}, "toString"),
            queued({}, "constructor"),
          ]);
          let lambda: Record<string, string> = {};
          if (w.aws) lambda = await throughLambda(w, good);

          const record = await w.raw.store.read(good);
          const polluted = ({} as Loose).p !== undefined || Object.hasOwn(Object.prototype, "p");
          // Undo a pollution at once: every later test of the run shares this Object.prototype.
          delete (Object.prototype as Loose).p;
          console.log(
            `[${backend}] s11: ${JSON.stringify({ ...codes, ...lambda, queued: [...verdicts.values()] })}`,
          );
          const refusedAll = Object.values({ ...codes, ...lambda }).every(
            (c) => c !== "accepted" && !c.startsWith("untyped"),
          );
          recordRun("bad input", backend, {
            operations: Object.keys(codes).length + verdicts.size + Object.keys(lambda).length,
            violations:
              (refusedAll ? 0 : 1) +
              (polluted ? 1 : 0) +
              (record === null ? 0 : 1) +
              (requestsBeforeQueue === 0 ? 0 : 1),
          });

          expect(polluted).toBe(false);
          for (const id of BAD_IDS)
            expect(codes[`id ${JSON.stringify(id).slice(0, 12)} sync`]).toBe("INVALID_ACTOR_ID");
          expect(Object.keys(BAD_TEXTS).map((name) => codes[`text ${name}`])).toEqual(EXPECTED_TEXT_CODES);
          expect([0, 1, 2].map((i) => codes[`parsed body ${i}`])).toEqual([
            "UNSAFE_JSON_KEY",
            "UNSAFE_JSON_KEY",
            "JSON_TOO_DEEP",
          ]);
          for (const handler of ["__proto__", "constructor", "toString"])
            expect(codes[`handler ${handler}`]).toBe("UNKNOWN_HANDLER");
          expect(refusedAll).toBe(true);
          // Refused before any request, and nothing written anywhere.
          expect(requestsBeforeQueue).toBe(0);
          expect([...verdicts.values()].every((v) => v !== "done")).toBe(true);
          expect(record).toBeNull();
        } finally {
          await env.close();
        }
      });
  });
}

/** The aws entry's own doors: a durable.invoke event and SQS records with hand-written bodies. */
async function throughLambda(w: Worker, actorId: string): Promise<Record<string, string>> {
  const ports = w.aws;
  if (!ports) return {};
  const handler = createLambdaHandler([victim], { ports, write: () => undefined });
  const codes: Record<string, string> = {};
  for (const id of BAD_IDS) {
    const result = await handler({ type: "durable.invoke", actorId: id, handler: "merge" }, lambdaContext());
    codes[`lambda id ${JSON.stringify(id).slice(0, 12)}`] = result.ok ? "accepted" : result.error.code;
  }
  for (const [i, input] of parsedBodies().entries()) {
    const result = await handler(
      { type: "durable.invoke", actorId, handler: "merge", input: input as JsonValue },
      lambdaContext(),
    );
    codes[`lambda body ${i}`] = result.ok ? "accepted" : result.error.code;
  }
  const envelope = (input: string, handlerName = "merge") =>
    `{"id":"${freshId("raw")}","actorId":"${actorId}","actorType":"victim","handler":"${handlerName}","kind":"send","input":${input}}`;
  const bodies = [
    ...Object.values(BAD_TEXTS).map((text) => envelope(text)),
    envelope("{}", "toString"),
    envelope("{}", "constructor"),
  ];
  const Records: SqsRecordLike[] = bodies.map((body, i) => ({
    messageId: freshId(`raw${i}`),
    receiptHandle: freshId("receipt"),
    body,
    attributes: { ApproximateReceiveCount: "1", MessageGroupId: actorId },
    eventSource: "aws:sqs",
    eventSourceARN: ports.settings.queueArn ?? ports.settings.queueUrl,
  }));
  const batch = await handler({ Records }, lambdaContext());
  // Unusable records are dead-lettered and reported done: none may be retried, none applied.
  codes["lambda sqs records retried"] = batch.batchItemFailures.length === 0 ? "none" : "accepted";
  return codes;
}
