import { describe, expect, test } from "bun:test";
import { actor } from "../../runtime/core/actor.ts";
import type { Lease, TurnCommit } from "../../runtime/ports/actor-store.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import { BACKENDS, type BackendKind, type Environment, openEnvironment } from "./backends.ts";
import { type DeliverOptions, settle, tagsOf } from "./delivery.ts";
import type { WireCall } from "./dynamodb-wire-faults.ts";
import type { CallInfo } from "./fault-injector.ts";
import { sleep } from "./fault-injector.ts";
import { freshId } from "./scenario-kit.ts";
import { SEEDS, seedTag, sized } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";
import type { WorkerOptions } from "./worker.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 15, issue 11 finding 2: any failure of a message's last permitted delivery parks the
 * actor, whatever layer raised it. A message M with a follower F behind it fails every delivery
 * with one turn-level failure: a lease another holder keeps past the lease wait, a store that
 * stays unavailable (locally a failing commit; on aws DynamoDB throttling the SDK's retries do not
 * outlast), version conflicts past the turn's retries (on aws transactions cancelled for
 * TransactionConflict, answered on the wire), a deadline passed mid-handler (on aws a Lambda
 * whose remaining time runs out, killed when it reaches 0). A handler throw is the control. Each
 * must end with the actor parked on M, M the only dead letter and F neither applied nor
 * dead-lettered. The failures spare the commit that parks (it carries `parked`): a store that never
 * answers again can park nothing, and the queue's redrive is the backstop for that.
 * Fails on 51c08f4: only a handler throw parks; the others dead-letter M and run F past it.
 */
// A sweep (--seeds) permits 2 deliveries instead of 3: every kind of failure still meets a last one.
const MAX_RECEIVES = sized(3, 2);

const touchy = actor("touchy", {
  state: () => ({ log: [] as string[] }),
  handlers: {
    async write(ctx, input: { tag: string; fail?: boolean; slowMs?: number }) {
      if (input.fail) throw new Error(`${input.tag} always fails (injected)`);
      if (input.slowMs) await sleep(input.slowMs);
      ctx.state.log.push(input.tag);
    },
  },
});

type Kind =
  | "a handler throw"
  | "a lease timeout"
  | "an unavailable store"
  | "exhausted conflicts"
  | "a deadline";
const KINDS: Kind[] = [
  "a handler throw",
  "a lease timeout",
  "an unavailable store",
  "exhausted conflicts",
  "a deadline",
];

/** A port commit that does not park (the park commit is the one the failures spare). */
const normalCommit = (call: CallInfo) => (call.args as [TurnCommit])[0]?.parked === null;

/** A TransactWriteItems whose state item carries no `parked` (aws's normal commit). */
const normalTransaction = (call: WireCall) => {
  const items = (call.input.TransactItems ?? []) as { Put?: { Item?: Record<string, unknown> } }[];
  return !items.some((item) => item.Put?.Item && ("parked" in item.Put.Item || "parkedGz" in item.Put.Item));
};

interface Setup {
  input: { tag: string; fail?: boolean; slowMs?: number };
  worker: Partial<WorkerOptions>;
  deliver: DeliverOptions;
}

function setup(kind: Kind, backend: BackendKind): Setup {
  const local = backend === "local";
  switch (kind) {
    case "a handler throw":
      return { input: { tag: "m", fail: true }, worker: {}, deliver: {} };
    case "a lease timeout":
      return {
        input: { tag: "m" },
        worker: { fabric: { leaseWaitMs: 100 } },
        deliver: { lambda: { leaseWaitMs: 100 } },
      };
    case "an unavailable store":
      return {
        input: { tag: "m" },
        worker: local
          ? { portFaults: [{ ops: ["commit"], errorBefore: 1, when: normalCommit }] }
          : {
              wire: [
                {
                  error: "ThrottlingException",
                  rate: 1,
                  operations: ["TransactWriteItems"],
                  when: normalTransaction,
                },
              ],
            },
        deliver: {},
      };
    case "exhausted conflicts":
      return {
        input: { tag: "m" },
        worker: local
          ? { portFaults: [{ ops: ["commit"], conflict: 1, when: normalCommit }], fabric: { maxRetries: 2 } }
          : {
              wire: [
                {
                  error: "TransactionCanceled:TransactionConflict",
                  rate: 1,
                  operations: ["TransactWriteItems"],
                  when: normalTransaction,
                },
              ],
            },
        deliver: { lambda: { maxRetries: 2 } },
      };
    case "a deadline":
      return {
        input: { tag: "m", slowMs: 300 },
        // Locally the fabric's own deadline; on aws the Lambda's remaining time minus the safety margin.
        worker: { fabric: { deadline: () => Date.now() + 150 } },
        deliver: { invocationTimeoutMs: 600, lambda: { safetyMarginMs: 350 } },
      };
  }
}

interface Outcome {
  kind: Kind;
  parkedOn: string;
  dead: string[];
  applied: string[];
  deliveries: number;
}

async function runKind(env: Environment, backend: BackendKind, kind: Kind): Promise<Outcome> {
  const { input, worker, deliver } = setup(kind, backend);
  const name = `s15-${backend}-${kind.replaceAll(" ", "-")}`;
  const newWorker = () => env.worker({ name, actors: [touchy], ...worker });
  let w = await newWorker();
  const actorId = freshId("touchy");
  const message = (tag: string, extra: object = {}): ActorMessage => ({
    id: freshId(tag),
    actorId,
    actorType: "touchy",
    handler: "write",
    input: { tag, ...extra },
    kind: "send",
  });
  const m = message("m", input);
  const f = message("f");
  let intruder: Lease | undefined;
  if (kind === "a lease timeout") {
    intruder = await w.raw.store.acquireLease(actorId, "intruder", 600_000, Date.now());
  }
  const release = w.raw.store;
  // The other holder goes away once M's permitted deliveries are all spent: a park must then happen.
  const onReceived = (list: readonly { id: string; receiveCount: number }[]) => {
    const spent = list.some((d) => d.id === m.id && d.receiveCount > MAX_RECEIVES);
    if (intruder && spent) {
      const lease = intruder;
      intruder = undefined;
      void release.releaseLease(lease);
    }
  };
  await w.raw.queue.send([m, f]);
  let deliveries = 0;
  // A Lambda killed at its timeout takes its worker with it: the next invocation runs on a new one.
  for (let round = 0; round < 10; round++) {
    const result = await settle(env, w, [touchy], { ...deliver, onReceived });
    deliveries += result.delivered;
    if (!result.crashed) break;
    w = await newWorker();
  }
  const record = await w.raw.store.read(actorId);
  const dead = (await env.takeDeadLetters())
    .filter((d) => d.message.actorId === actorId)
    .map((d) => (d.message.input as { tag: string }).tag);
  return {
    kind,
    parkedOn: record?.parked?.messageId === m.id ? "m" : String(record?.parked?.messageId ?? "not parked"),
    dead,
    applied: await tagsOf(w, actorId),
    deliveries,
  };
}

for (const backend of BACKENDS) {
  describe(`[${backend}] failures of the last permitted delivery park`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] a handler throw, a lease timeout, an unavailable store, exhausted conflicts and a deadline on the last delivery each park the actor; the follower waits${seedTag(seed)}`, async () => {
        const env = await openEnvironment(backend, { label: "s15", seed, maxReceives: MAX_RECEIVES });
        try {
          const outcomes: Outcome[] = [];
          for (const kind of KINDS) outcomes.push(await runKind(env, backend, kind));
          console.log(
            `[${backend}] s15: ${outcomes.map((o) => `${o.kind}: parked on ${o.parkedOn}, dead ${o.dead.join("+") || "none"}, applied ${o.applied.join("+") || "none"}`).join("; ")}`,
          );
          recordRun("last-delivery failures park", backend, {
            operations: outcomes.reduce((n, o) => n + o.deliveries, 0),
            // F applied past M, or dead-lettered for it: per-actor order broken.
            violations: outcomes.filter(
              (o) => o.parkedOn !== "m" || o.applied.length > 0 || o.dead.join() !== "m",
            ).length,
            duplicated: outcomes.reduce((n, o) => n + Math.max(0, o.dead.length - 1), 0),
          });

          for (const o of outcomes) {
            expect({ kind: o.kind, parkedOn: o.parkedOn, dead: o.dead, applied: o.applied }).toEqual({
              kind: o.kind,
              parkedOn: "m",
              dead: ["m"],
              applied: [],
            });
          }
        } finally {
          await env.close();
        }
      });
  });
}
