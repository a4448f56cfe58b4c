import { afterAll, describe, expect, test } from "bun:test";
import type { DurableInvokeResult } from "../../runtime/adapters/aws/invoke-event.ts";
import { actor } from "../../runtime/core/actor.ts";
import { BACKENDS, openEnvironment } from "./backends.ts";
import { duplicatesIn, settle, tagsOf } from "./delivery.ts";
import type { WireFaultRule } from "./dynamodb-wire-faults.ts";
import { sleep } from "./fault-injector.ts";
import { invokeLambda, lambdaOf } from "./lambda-kit.ts";
import { freshId } from "./scenario-kit.ts";
import { SEEDS, SWEEP, seedTag, sized } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";
import type { Worker } from "./worker.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 16, issue 11 finding 3: DynamoDB's transaction conflicts and throttling, answered on
 * the wire as real DynamoDB answers them (DynamoDB Local never does): TransactionConflictException
 * on the single-item writes that can meet a commit in flight (lease acquire, release and renewal,
 * outbox clear), transactions cancelled for TransactionConflict or ThrottlingError, and throttling
 * of any call. Two Lambda containers call one account with sync invokes (each retried by its
 * client with the same message id until it succeeds), some reads, some handlers longer than a
 * third of the lease (so the lease is renewed), each deposit sending a message on. No raw SDK
 * error may escape the Lambda entry (a FunctionError), no call whose commit and relay succeeded
 * may report RELAY_FAILED (the relay's destinations never fail here), and every deposit must be
 * applied, and arrive downstream, exactly once. The SDK must not have retried a
 * TransactionConflictException itself. aws only: the local store has no transactions to conflict.
 * Fails on 51c08f4: a conflicting acquire escapes as a raw TransactionConflictException.
 */
const LEASE_MS = 600;
const CALLS_PER_WORKER = sized(24, 5);

const account = actor("account", {
  state: () => ({ applied: [] as string[] }),
  handlers: {
    async deposit(ctx, input: { tag: string; sink: string; slowMs?: number }) {
      if (input.slowMs) await sleep(input.slowMs);
      ctx.state.applied.push(input.tag);
      ctx.send(input.sink, "record", { tag: input.tag });
      return ctx.state.applied.length;
    },
    get: (ctx) => ctx.state.applied.length,
  },
});

const sink = actor("sink", {
  state: () => ({ log: [] as string[] }),
  handlers: {
    record(ctx, input: { tag: string }) {
      ctx.state.log.push(input.tag);
    },
  },
});

const CONFLICTING_WRITES = ["acquire", "release", "renew", "clearOutbox"] as const;

const wire: WireFaultRule[] = [
  // Each single-item write meets a transaction in flight at least once, then now and then.
  ...CONFLICTING_WRITES.flatMap((op): WireFaultRule[] => [
    { error: "TransactionConflictException", rate: 1, ops: [op], limit: 1 },
    { error: "TransactionConflictException", rate: 0.15, ops: [op] },
  ]),
  { error: "TransactionCanceled:TransactionConflict", rate: 0.15, operations: ["TransactWriteItems"] },
  { error: "TransactionCanceled:ThrottlingError", rate: 0.1, operations: ["TransactWriteItems"] },
  { error: "TransactionCanceled:TransactionConflict", rate: 0.15, operations: ["TransactGetItems"] },
  { error: "ThrottlingException", rate: 0.04 },
  { error: "ProvisionedThroughputExceededException", rate: 0.04 },
];

const RAW_SDK_ERROR =
  /TransactionConflictException|TransactionCanceledException|ThrottlingException|ProvisionedThroughputExceeded/;

interface Tally {
  acknowledged: string[];
  threw: string[];
  untyped: string[];
  relayFailed: number;
  errors: Map<string, number>;
  calls: number;
}

async function client(w: Worker, actorId: string, sinkId: string, tally: Tally): Promise<void> {
  const handler = lambdaOf(w, [account, sink]);
  const call = (event: Record<string, unknown>) =>
    invokeLambda(w, (e: typeof event, c) => handler(e, c) as Promise<DurableInvokeResult>, event);
  for (let i = 0; i < CALLS_PER_WORKER; i++) {
    const tag = `${w.name}:${i}`;
    const read = i % 4 === 3;
    const event = {
      type: "durable.invoke",
      actorId,
      messageId: freshId("call"),
      handler: read ? "get" : "deposit",
      input: read ? null : { tag, sink: sinkId, ...(i % 5 === 1 ? { slowMs: LEASE_MS / 2 } : {}) },
    };
    for (let attempt = 1; attempt <= 8; attempt++) {
      tally.calls++;
      let lived: Awaited<ReturnType<typeof call>>;
      try {
        lived = await call(event);
      } catch (error) {
        // The function itself failed: Lambda reports a FunctionError, the client sees no typed answer.
        tally.threw.push(String(error));
        continue;
      }
      if (lived.crashed) throw new Error(`${w.name} died: ${lived.reason}`);
      const result = lived.value;
      if (result.ok) {
        if (!read) tally.acknowledged.push(tag);
        break;
      }
      const { code, message } = result.error;
      tally.errors.set(code, (tally.errors.get(code) ?? 0) + 1);
      if (code === "RELAY_FAILED") tally.relayFailed++;
      if (!/^[A-Z_]+$/.test(code) || RAW_SDK_ERROR.test(code)) tally.untyped.push(`${code}: ${message}`);
    }
  }
}

/** Conflicts injected per write, over every seed of the run. */
const hits = new Map<string, number>(CONFLICTING_WRITES.map((op) => [op, 0]));

if (BACKENDS.includes("aws")) {
  describe("[aws] DynamoDB transaction conflicts and throttling", () => {
    afterAll(() => {
      for (const op of CONFLICTING_WRITES)
        expect({ op, hit: (hits.get(op) ?? 0) > 0 }).toEqual({ op, hit: true });
    });
    for (const seed of SEEDS)
      test(`[aws] TransactionConflictException on lease acquire, release, renewal and outbox clear, cancelled transactions and throttling: no raw SDK error escapes, no false RELAY_FAILED, nothing lost or doubled${seedTag(seed)}`, async () => {
        const env = await openEnvironment("aws", { label: "s16", seed, leaseMs: LEASE_MS });
        try {
          const workers = [
            await env.worker({ name: "s16-a", actors: [account, sink], wire }),
            await env.worker({ name: "s16-b", actors: [account, sink], wire }),
          ];
          const [actorId, sinkId] = [freshId("account"), freshId("sink")];
          const tally: Tally = {
            acknowledged: [],
            threw: [],
            untyped: [],
            relayFailed: 0,
            errors: new Map(),
            calls: 0,
          };
          await Promise.all(workers.map((w) => client(w, actorId, sinkId, tally)));
          for (const w of workers) if (w.wire) w.wire.enabled = false;
          const reader = await env.worker({ name: "s16-reader", actors: [account, sink] });
          await settle(env, reader, [account, sink]);
          const applied = await tagsOf(reader, actorId, "applied");
          const received = await tagsOf(reader, sinkId);
          const injected = (op: string) =>
            workers.reduce((n, w) => n + (w.wire?.events.filter((e) => e.op === op).length ?? 0), 0);
          const sdkRetriedConflicts = workers.flatMap(
            (w) => w.wire?.retried("TransactionConflictException") ?? [],
          );
          const all = workers.flatMap((w) => w.wire?.events ?? []);
          console.log(
            `[aws] s16: ${tally.calls} invocations, ${tally.acknowledged.length} deposits acknowledged, ` +
              `injected ${[...new Set(all.map((e) => `${e.error}@${e.op}`))].map((k) => `${k}×${all.filter((e) => `${e.error}@${e.op}` === k).length}`).join(" ")}; ` +
              `answered ${[...tally.errors].map(([c, n]) => `${c}×${n}`).join(" ") || "ok"}; ${tally.threw.length} FunctionErrors`,
          );
          recordRun("DynamoDB transaction conflicts", "aws", {
            operations: tally.calls,
            lost: tally.acknowledged.filter((t) => !applied.includes(t) || !received.includes(t)).length,
            duplicated: duplicatesIn(applied) + duplicatesIn(received),
            violations:
              tally.threw.length + tally.untyped.length + tally.relayFailed + sdkRetriedConflicts.length,
          });

          expect(tally.threw).toEqual([]);
          expect(tally.untyped).toEqual([]);
          expect(tally.relayFailed).toBe(0);
          expect(sdkRetriedConflicts).toEqual([]);
          // Every kind of write met a conflict, so each was covered. At sweep size one seed's five
          // calls per worker may draw none on a write, so a sweep asks it of its seeds together.
          for (const op of CONFLICTING_WRITES) hits.set(op, (hits.get(op) ?? 0) + injected(op));
          if (!SWEEP)
            for (const op of CONFLICTING_WRITES)
              expect({ op, hit: injected(op) > 0 }).toEqual({ op, hit: true });
          expect(tally.acknowledged).toHaveLength(
            2 * CALLS_PER_WORKER - 2 * Math.floor(CALLS_PER_WORKER / 4),
          );
          expect([...applied].sort()).toEqual([...tally.acknowledged].sort());
          expect([...received].sort()).toEqual([...tally.acknowledged].sort());
        } finally {
          await env.close();
        }
      });
  });
}
