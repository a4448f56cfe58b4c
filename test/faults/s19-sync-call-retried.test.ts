import { describe, expect, test } from "bun:test";
import type { DurableInvokeEvent, DurableInvokeResult } from "../../runtime/adapters/aws/invoke-event.ts";
import { actor } from "../../runtime/core/actor.ts";
import { client } from "../../runtime/core/client.ts";
import type {
  InvokeRequest,
  InvokeResponse,
  Invoker,
  SyncInvokeResponse,
} from "../../runtime/core/invoker.ts";
import type { SerializedError } from "../../runtime/ports/values.ts";
import { BACKENDS, type Environment, openEnvironment } from "./backends.ts";
import type { Lived } from "./crash.ts";
import { settle, tagsOf } from "./delivery.ts";
import { invokeLambda, lambdaOf } from "./lambda-kit.ts";
import { freshId } from "./scenario-kit.ts";
import { SEEDS, seedTag } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";
import type { Worker } from "./worker.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 19, issue 11 finding 6: a sync call retried by its transport is applied once. The AWS
 * SDK retries a RequestResponse Invoke after a connection reset, a client timeout or a 5xx, after
 * the function may have run; an HTTP client may resend a POST to `durable dev`. Either way the
 * same request arrives twice, and only a message id in it makes that harmless.
 * (a) The typed client's call, sent twice as its transport would (the Lambda entry on aws,
 *     the fabric locally): applied once, the second answered as a duplicate.
 * (b) A call with an id whose process dies right after the commit, before answering; the retry,
 *     on another container, is answered from the stored result and relays the stranded effect.
 * (c) RELAY_FAILED says which message id to retry with, and that retry is applied once.
 * (d) aws: a STORE_UNAVAILABLE for a call without an id does not claim a retry is safe.
 * Fails on 51c08f4: the typed client sends no id, so (a) applies twice; RELAY_FAILED carries no id.
 */
const notes = actor("notes", {
  state: () => ({ log: [] as string[] }),
  handlers: {
    add(ctx, input: { tag: string; forward?: string }) {
      ctx.state.log.push(input.tag);
      if (input.forward) ctx.send(input.forward, "add", { tag: input.tag });
      return ctx.state.log.length;
    },
  },
});

type Answer =
  | { ok: true; response: Omit<SyncInvokeResponse, "mode"> }
  | { ok: false; error: SerializedError };

/** One sync call as the backend's transport carries it: the Lambda payload on aws, Fabric.invoke locally. */
async function send(w: Worker, request: InvokeRequest): Promise<Lived<Answer>> {
  if (!w.aws) {
    return w.life.run(
      w.fabric.invoke({ ...request, mode: "sync" }).then(
        (response): Answer => ({ ok: true, response }),
        (error: { toJSON?: () => SerializedError }): Answer => {
          if (!error.toJSON) throw error;
          return { ok: false, error: error.toJSON() };
        },
      ),
    );
  }
  // What `durable invoke --stage` (and any client) puts in the Invoke payload for this request.
  const event: DurableInvokeEvent = {
    type: "durable.invoke",
    actorId: request.actorId,
    ...(request.actorType === undefined ? {} : { actorType: request.actorType }),
    ...(request.handler === undefined ? {} : { handler: request.handler }),
    ...(request.input === undefined ? {} : { input: request.input }),
    ...(request.messageId === undefined ? {} : { messageId: request.messageId }),
  };
  const handler = lambdaOf(w, [notes]);
  const lived = await invokeLambda(
    w,
    (e: DurableInvokeEvent, c) => handler(e, c) as Promise<DurableInvokeResult>,
    event,
  );
  if (lived.crashed) return lived;
  const result = lived.value;
  return {
    crashed: false,
    value: result.ok ? { ok: true, response: result } : { ok: false, error: result.error },
  };
}

async function answered(w: Worker, request: InvokeRequest): Promise<Answer> {
  const lived = await send(w, request);
  if (lived.crashed) throw new Error(`${w.name} died: ${lived.reason}`);
  return lived.value;
}

interface Parts {
  typedClientApplied: number;
  secondWasDuplicate: boolean;
  crashRetryApplied: number;
  crashRetryForwarded: number;
  relayFailedIds: unknown;
  relayRetryApplied: number;
  noIdHint: string | undefined;
  operations: number;
}

async function run(env: Environment, backend: string): Promise<Parts> {
  const w = await env.worker({ name: `s19-${backend}`, actors: [notes] });
  // (a) the typed client, its request recorded as its transport carries it, then sent again.
  const requests: InvokeRequest[] = [];
  const recording = {
    async invoke(request: InvokeRequest): Promise<InvokeResponse> {
      requests.push(request);
      const answer = await answered(w, request);
      if (!answer.ok) throw new Error(answer.error.message);
      return { ...answer.response, mode: "sync" };
    },
  } as Invoker;
  const a = freshId("notes");
  await client(notes, recording).get(a).add({ tag: "a" });
  const request = requests[0];
  if (!request) throw new Error("the typed client made no request");
  const again = await answered(w, request);
  const typedClientApplied = (await tagsOf(w, a)).length;

  // (b) an id, the process dies after the commit; the transport retries on another container.
  const b = freshId("notes");
  const forward = freshId("notes");
  const crashing = await env.worker({
    name: `s19-${backend}-crashing`,
    actors: [notes],
    crashAt: (seam) => seam.layer === "port" && seam.call === "commit" && seam.side === "after",
  });
  const withId: InvokeRequest = {
    actorId: b,
    handler: "add",
    input: { tag: "b", forward },
    messageId: freshId("b"),
  };
  const first = await send(crashing, withId);
  const retry = await answered(w, withId);
  await settle(env, w, [notes]);

  // (c) the relay fails; the error names the id to retry with.
  const c = freshId("notes");
  const relayFailing = await env.worker({
    name: `s19-${backend}-relay`,
    actors: [notes],
    portFaults: [{ ops: ["send"], errorBefore: 1, limit: 1 }],
  });
  const withRelay: InvokeRequest = {
    actorId: c,
    handler: "add",
    input: { tag: "c", forward: freshId("notes") },
    messageId: freshId("c"),
  };
  const failed = await answered(relayFailing, withRelay);
  const details = failed.ok ? undefined : (failed.error.details as { messageIds?: unknown } | undefined);
  await answered(w, withRelay);

  // (d) aws: the store throttles a call without an id past the SDK's retries.
  let noIdHint: string | undefined;
  if (backend === "aws") {
    const throttled = await env.worker({
      name: "s19-aws-throttled",
      actors: [notes],
      // The acquire's UpdateItem also brings the record (there is no separate load request for a
      // call without markers), so it is the request the throttling must outlast the SDK's retries on.
      wire: [{ error: "ThrottlingException", rate: 1, ops: ["acquire"], limit: 10 }],
    });
    const answer = await answered(throttled, {
      actorId: freshId("notes"),
      handler: "add",
      input: { tag: "d" },
    });
    noIdHint = answer.ok ? "answered" : `${answer.error.code}: ${answer.error.hint ?? ""}`;
  }
  return {
    typedClientApplied,
    secondWasDuplicate: again.ok && again.response.duplicate,
    crashRetryApplied: first.crashed && retry.ok ? (await tagsOf(w, b)).length : -1,
    crashRetryForwarded: (await tagsOf(w, forward)).length,
    relayFailedIds: failed.ok ? "answered" : details?.messageIds,
    relayRetryApplied: (await tagsOf(w, c)).length,
    noIdHint,
    operations: requests.length + 5 + (backend === "aws" ? 1 : 0),
  };
}

for (const backend of BACKENDS) {
  describe(`[${backend}] sync call retried by its transport`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] a typed-client call sent twice, a call retried after a crash past its commit, and a RELAY_FAILED retried with the id it names are each applied once${seedTag(seed)}`, async () => {
        const env = await openEnvironment(backend, { label: "s19", seed });
        try {
          const parts = await run(env, backend);
          console.log(`[${backend}] s19: ${JSON.stringify(parts)}`);
          const applied = [
            parts.typedClientApplied,
            parts.crashRetryApplied,
            parts.crashRetryForwarded,
            parts.relayRetryApplied,
          ];
          recordRun("sync call retried by its transport", backend, {
            operations: parts.operations,
            lost: applied.filter((n) => n < 1).length,
            duplicated: applied.reduce((n, a) => n + Math.max(0, a - 1), 0),
            violations:
              (Array.isArray(parts.relayFailedIds) ? 0 : 1) +
              (/safe to retry/i.test(parts.noIdHint ?? "") ? 1 : 0),
          });

          expect(parts.typedClientApplied).toBe(1);
          expect(parts.secondWasDuplicate).toBe(true);
          expect(parts.crashRetryApplied).toBe(1);
          expect(parts.crashRetryForwarded).toBe(1);
          expect(parts.relayFailedIds).toEqual([expect.any(String)]);
          expect(parts.relayRetryApplied).toBe(1);
          if (backend === "aws") {
            expect(parts.noIdHint).toStartWith("STORE_UNAVAILABLE");
            expect(parts.noIdHint).not.toMatch(/safe to retry/i);
          }
        } finally {
          await env.close();
        }
      });
  });
}
