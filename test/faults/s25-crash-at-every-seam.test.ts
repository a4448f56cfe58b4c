import { describe, expect, test } from "bun:test";
import type { DurableInvokeEvent } from "../../runtime/adapters/aws/invoke-event.ts";
import { processOneBatch } from "../../runtime/core/queue-worker.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import { BACKENDS, type BackendKind, openEnvironment } from "./backends.ts";
import { atSeam, type Seam, seamName } from "./crash.ts";
import { settle } from "./delivery.ts";
import {
  countEffects,
  EFFECT_ACTORS,
  type EffectCounts,
  type EffectIds,
  isOnce,
  ONCE,
  recover,
} from "./effects.ts";
import { invokeLambda, lambdaOf, pollLambda } from "./lambda-kit.ts";
import { freshId } from "./scenario-kit.ts";
import { rngFor, SEEDS, SWEEP, seedTag } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";
import type { Worker } from "./worker.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 25, issue 11 (crashes at every await): a turn that sends a message, sets a timer and
 * publishes a signal is run once per seam of the turn, and the process dies at that seam: before
 * or after each port call and, on aws, each AWS SDK command (a crash-free rehearsal lists the
 * seams, so none is missed; they include the ones between the commit and the relay and inside
 * it). Three ways in: a queued message (locally the dev server's queue worker, on aws Lambda's
 * event source mapping invoking the Lambda entry), a sync call (Fabric.invoke locally, a
 * durable.invoke of the Lambda entry on aws) whose caller never retries, and an unpark that drains
 * the message from behind a poison message (an operator whose unpark got no answer runs it again).
 * Then, with no further call, a new process recovers the way the fabric does: the queue redelivers
 * after the visibility timeout, the sweeper relays stranded outboxes and drains waiting messages,
 * timers fire, the signal rule delivers. A queued or drained turn must be applied once with each
 * effect arriving exactly once, the poison message the only dead letter and the actor unparked; a
 * sync call that committed likewise, and one that did not commit must have let nothing out. A
 * sweep (--seeds) crashes at "after port commit" and one other seam of each way in, drawn from the
 * seed.
 * Fails on 51c08f4: a sync call's outbox stranded by a crash after its commit is never relayed.
 */
/** Due at once: a due timer goes straight to the queue (scenario 18 takes the Scheduler path). */
const ALARM_MS = 0;
const LEASE_MS = 500;
const CONCURRENCY = 12;
/** Longer than a redelivery and the timer's delay: anything a crash let out would have landed by then. */
const NOTHING_WATCH_MS = 2_000;

type Way = "queued" | "sync" | "unpark";
const WAYS: readonly Way[] = ["queued", "sync", "unpark"];

/** The turn, started the way the backend runs it in production. */
async function runTurn(w: Worker, way: Way, message: ActorMessage): Promise<void> {
  if (way === "unpark") {
    await w.fabric.unpark(message.actorId);
    return;
  }
  if (way === "sync") {
    const request = {
      actorId: message.actorId,
      handler: message.handler,
      input: message.input,
      messageId: message.id,
    };
    if (!w.aws) {
      await w.fabric.invoke(request).catch(() => undefined);
      return;
    }
    const handler = lambdaOf(w, EFFECT_ACTORS);
    await invokeLambda(
      w,
      (e: DurableInvokeEvent, c) => handler(e, c),
      { type: "durable.invoke", ...request },
      5_000,
    );
    return;
  }
  await w.raw.queue.send([message]);
  if (w.aws) {
    await pollLambda(w, lambdaOf(w, EFFECT_ACTORS), { visibilityTimeoutMs: 1_000, timeoutMs: 5_000 });
    return;
  }
  await processOneBatch(w.fabric, w.ports.queue, { visibilityTimeoutMs: 200, retryDelayMs: 0, batchSize: 1 });
}

interface Case {
  way: Way;
  seam: string;
  reached: boolean;
  counts: EffectCounts;
  /** Handlers of the dead letters: the poison message's alone, when the actor was parked. */
  dead: string[];
  parked: boolean;
  operations: number;
}

const NOTHING: EffectCounts = { committed: 0, sent: 0, signalled: 0, alarmed: 0 };

/** What must have happened: everything once, or, for a sync call that never committed, nothing. */
function expected(c: Case): EffectCounts {
  return c.way === "sync" && c.counts.committed === 0 ? NOTHING : ONCE;
}

async function crashAt(
  backend: BackendKind,
  seed: number,
  way: Way,
  seam: Seam | undefined,
): Promise<Case & { trace: Seam[] }> {
  // Two permitted deliveries park the emitter quickly on the poison message, for the unpark.
  const maxReceives = way === "unpark" ? 2 : 5;
  const env = await openEnvironment(backend, {
    label: "s25",
    ownTables: true,
    seed,
    leaseMs: LEASE_MS,
    maxReceives,
  });
  try {
    const w = await env.worker({
      name: `s25-${backend}`,
      actors: EFFECT_ACTORS,
      crashAt: seam && atSeam(seam),
      fabric: { leaseMs: LEASE_MS },
    });
    const ids: EffectIds = {
      emitter: freshId("emitter"),
      sink: freshId("effect-sink"),
      listener: freshId("listener"),
    };
    const message: ActorMessage = {
      id: freshId("emit"),
      actorId: ids.emitter,
      actorType: "emitter",
      handler: "emit",
      input: { tag: "t", sink: ids.sink, listener: ids.listener, alarmMs: ALARM_MS },
      kind: "send",
    };
    if (way === "unpark") {
      // Parked on a poison message, with the turn under test waiting behind it.
      const setup = await env.worker({ name: `s25-${backend}-setup`, actors: EFFECT_ACTORS });
      const poison = { ...message, id: freshId("poison"), handler: "boom", input: null };
      await setup.raw.queue.send([poison, message]);
      await settle(env, setup, EFFECT_ACTORS);
    }
    await w.life.run(runTurn(w, way, message));
    const trace = [...w.life.trace];
    const reached = seam === undefined || w.life.dead;
    const recoveryStarted = performance.now();
    const recovering = await env.worker({ name: `s25-${backend}-recovery`, actors: EFFECT_ACTORS });
    // An operator whose unpark got no answer runs it again.
    if (way === "unpark" && w.life.dead) await recovering.fabric.unpark(ids.emitter);
    const operations = await recover(
      env,
      recovering,
      async () => {
        const counts = await countEffects(recovering, ids, "t");
        // A sync call that never committed has nothing to deliver: watch long enough for a stray effect.
        if (way === "sync" && counts.committed === 0)
          return performance.now() - recoveryStarted > NOTHING_WATCH_MS;
        return isOnce(counts);
      },
      {
        withinMs: 12_000,
      },
    );
    return {
      way,
      seam: seam ? seamName(seam) : "no crash",
      reached,
      counts: await countEffects(recovering, ids, "t"),
      dead: (await env.takeDeadLetters()).map((d) => d.message.handler),
      parked: Boolean((await recovering.raw.store.read(ids.emitter))?.parked),
      operations: operations + 1,
      trace,
    };
  } finally {
    await env.close();
  }
}

/** Runs `jobs` with at most `limit` at a time. */
async function pool<T, R>(items: readonly T[], limit: number, job: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await job(items[i] as T);
      }
    }),
  );
  return results;
}

/** Every seam in a full run; a sweep takes "after port commit" and one more drawn from the seed. */
function chosen(seams: readonly Seam[], seed: number, way: Way): Seam[] {
  if (!SWEEP) return [...seams];
  const random = rngFor(seed, `s25/seams/${way}`);
  const key = seams.find((s) => s.layer === "port" && s.call === "commit" && s.side === "after");
  const rest = seams
    .filter((s) => s !== key)
    .map((s) => ({ s, r: random() }))
    .sort((a, b) => a.r - b.r)
    .map(({ s }) => s);
  return [...(key ? [key] : []), ...rest].slice(0, 2);
}

for (const backend of BACKENDS) {
  describe(`[${backend}] a crash at every seam of a turn`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] the process dies at each port and SDK seam of a queued turn, a sync call and an unpark's drain, each with a send, a timer and a signal: after recovery every acknowledged effect lands exactly once${seedTag(seed)}`, async () => {
        const rehearsals = await Promise.all(WAYS.map((way) => crashAt(backend, seed, way, undefined)));
        const planned = rehearsals.flatMap((r) =>
          chosen(r.trace, seed, r.way).map((seam) => ({ way: r.way, seam })),
        );
        const cases = await pool(planned, CONCURRENCY, ({ way, seam }) => crashAt(backend, seed, way, seam));
        const view = (c: Case) => ({
          way: c.way,
          seam: c.seam,
          reached: c.reached,
          counts: c.counts,
          dead: c.dead,
          parked: c.parked,
        });
        const want = (c: Case) => ({
          ...view(c),
          reached: true,
          counts: expected(c),
          dead: c.way === "unpark" ? ["boom"] : [],
          parked: false,
        });
        const wrong = [...rehearsals, ...cases].filter(
          (c) => JSON.stringify(view(c)) !== JSON.stringify(want(c)),
        );
        console.log(
          `[${backend}] s25: ${rehearsals.map((r) => `${r.trace.length} seams in ${r.way === "unpark" ? "an" : "a"} ${r.way} turn`).join(", ")}; crashed at ${cases.length}; ` +
            (wrong.length === 0
              ? "each recovered with every acknowledged effect once"
              : `wrong: ${wrong.map((c) => JSON.stringify(view(c))).join("; ")}`),
        );
        for (const c of [...rehearsals, ...cases]) {
          const counts = expected(c);
          recordRun("a crash at every seam of a turn", backend, {
            operations: c.operations,
            lost: Object.entries(c.counts).filter(([k, n]) => n < counts[k as keyof EffectCounts]).length,
            duplicated: Object.entries(c.counts).reduce(
              (n, [k, v]) => n + Math.max(0, v - counts[k as keyof EffectCounts]),
              0,
            ),
            violations:
              (JSON.stringify(c.dead) === JSON.stringify(want(c).dead) ? 0 : 1) + (c.parked ? 1 : 0),
          });
        }

        // The seams between the commit and the relay, and inside the relay, are among them.
        const names = rehearsals.flatMap((r) => r.trace.map(seamName));
        for (const seam of [
          "after port commit",
          "before port send",
          "before port schedule",
          "before port publish",
        ])
          expect(names).toContain(seam);
        for (const c of [...rehearsals, ...cases]) expect(view(c)).toEqual(want(c));
      });
  });
}
