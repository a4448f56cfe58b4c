import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { actor } from "../../runtime/core/actor.ts";
import { drainQueue } from "../../runtime/core/queue-worker.ts";
import { BACKENDS, openEnvironment, type Worker } from "./backends.ts";
import { freshId } from "./scenario-kit.ts";
import { SEEDS, seedTag } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 10. States of 390 KB, 401 KB and 5 MB; messages of 255 KB and 1.1 MB, sync and async;
 * and a 1.1 MB ctx.send. Each one either round-trips byte for byte or is refused with a typed
 * error before the request that would carry it: no commit request for a state, no request at all
 * for a message (SDK requests counted by middleware on aws, port calls by the wrapped ports).
 * The data is random base64, which gzip shrinks only to about 75%: both backends measure the state
 * compressed against DynamoDB's 400 KB item limit, so 401 KB fits and 5 MB does not.
 */
const KB = 1024;

function incompressible(bytes: number): string {
  const raw = new Uint8Array(Math.ceil((bytes * 3) / 4));
  for (let i = 0; i < raw.length; i += 65_536) crypto.getRandomValues(raw.subarray(i, i + 65_536));
  return Buffer.from(raw).toString("base64").slice(0, bytes);
}

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

const blob = actor("blob", {
  state: () => ({ data: "", digests: [] as string[] }),
  handlers: {
    fill(ctx, input: { data: string }) {
      ctx.state.data = input.data;
      return { sha: sha(input.data) };
    },
    digest(ctx, input: { data: string }) {
      ctx.state.digests.push(sha(input.data));
      return { sha: sha(input.data) };
    },
    forward(ctx, input: { to: string; bytes: number }) {
      ctx.send(input.to, "digest", { data: "x".repeat(input.bytes) });
    },
  },
});

interface Outcome {
  what: string;
  result: "intact" | "corrupted" | string;
  /** Requests (aws: SDK commands; local: port calls) made for the refused item anyway. */
  leaked: number;
}

/** Runs one attempt and says what came of it, counting what reached the backend meanwhile. */
async function attempt(
  w: Worker,
  what: string,
  carries: (command: string, op: string) => boolean,
  run: () => Promise<boolean>,
): Promise<Outcome> {
  const calls = w.sdk?.calls;
  const mark = calls ? calls.count : w.inFlight.started;
  const leakedSince = (): number =>
    calls
      ? calls.since(mark).filter((c) => carries(c.command, c.op)).length
      : w.inFlight.log.slice(mark).filter((op) => carries("", op)).length;
  try {
    return { what, result: (await run()) ? "intact" : "corrupted", leaked: 0 };
  } catch (error) {
    return { what, result: (error as { code?: string }).code ?? String(error), leaked: leakedSince() };
  }
}

for (const backend of BACKENDS) {
  describe(`[${backend}] sizes`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] 390 KB, 401 KB and 5 MB states and 255 KB and 1.1 MB messages round-trip intact or are refused, typed, before the request${seedTag(seed)}`, async () => {
        const env = await openEnvironment(backend, { label: "s10", seed });
        try {
          const w = await env.worker({ name: `s10-${backend}`, actors: [blob] });
          const isCommit = (command: string, op: string) =>
            op === "commit" || command === "TransactWriteItemsCommand";
          const anything = () => true;
          const outcomes: Outcome[] = [];
          const stateActors: string[] = [];
          for (const kb of [390, 401, 5 * KB]) {
            const actorId = freshId("blob");
            stateActors.push(actorId);
            const data = incompressible(kb * KB);
            // Locally the size check is the commit port's own first step (before its transaction): the
            // request that must not happen is the aws commit.
            const carries = backend === "aws" ? isCommit : () => false;
            outcomes.push(
              await attempt(w, `${kb} KB state`, carries, async () => {
                await w.fabric.invoke({ actorId, handler: "fill", input: { data } });
                const stored = (await w.raw.store.read(actorId))?.state as { data: string } | undefined;
                return stored?.data === data;
              }),
            );
          }
          for (const kb of [255, 1.1 * KB]) {
            const data = incompressible(Math.round(kb * KB));
            outcomes.push(
              await attempt(
                w,
                `${kb} KB sync message`,
                () => false,
                async () => {
                  const response = await w.fabric.invoke({
                    actorId: freshId("blob"),
                    handler: "digest",
                    input: { data },
                  });
                  return (response.result as { sha: string }).sha === sha(data);
                },
              ),
            );
            const actorId = freshId("blob");
            outcomes.push(
              await attempt(w, `${kb} KB async message`, anything, async () => {
                await w.fabric.invoke({ actorId, handler: "digest", input: { data }, mode: "async" });
                await drainQueue(w.fabric, w.ports.queue);
                const stored = (await w.raw.store.read(actorId))?.state as { digests: string[] } | undefined;
                return stored?.digests.join() === sha(data);
              }),
            );
          }
          const sender = freshId("blob");
          outcomes.push(
            await attempt(w, "1.1 MB ctx.send", isCommit, async () => {
              await w.fabric.invoke({
                actorId: sender,
                handler: "forward",
                input: { to: freshId("blob"), bytes: 1.1 * KB * KB },
              });
              return false;
            }),
          );
          console.log(`[${backend}] s10: ${outcomes.map((o) => `${o.what}: ${o.result}`).join("; ")}`);
          const typed = new Set(["intact", "STATE_TOO_LARGE", "PAYLOAD_TOO_LARGE"]);
          recordRun("sizes", backend, {
            operations: outcomes.length,
            lost: outcomes.filter((o) => o.result === "corrupted").length,
            violations: outcomes.filter((o) => o.leaked > 0 || !typed.has(o.result)).length,
          });

          const expected: Record<string, string> = {
            "390 KB state": "intact",
            "401 KB state": "intact",
            "5120 KB state": "STATE_TOO_LARGE",
            "255 KB sync message": "intact",
            "255 KB async message": "intact",
            "1126.4 KB sync message": "intact",
            "1126.4 KB async message": "PAYLOAD_TOO_LARGE",
            "1.1 MB ctx.send": "PAYLOAD_TOO_LARGE",
          };
          expect(Object.fromEntries(outcomes.map((o) => [o.what, o.result]))).toEqual(expected);
          expect(outcomes.filter((o) => o.leaked > 0)).toEqual([]);
          // Refused means nothing written: the 5 MB state's actor and the oversized sender never committed.
          expect(await w.raw.store.read(stateActors[2] ?? "")).toBeNull();
          expect(await w.raw.store.read(sender)).toBeNull();
        } finally {
          await env.close();
        }
      });
  });
}
