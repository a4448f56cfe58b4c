import { describe, expect, test } from "bun:test";
import {
  type CounterInput,
  type CounterOutput,
  checkLinearizable,
  counterModel,
  formatWitness,
  HistoryRecorder,
  type Operation,
  type RegisterInput,
  type RegisterOutput,
  registerModel,
} from "./linearizability.ts";

type CounterOp = Operation<CounterInput, CounterOutput>;
type RegisterOp = Operation<RegisterInput, RegisterOutput>;

const inc = (
  clientId: number,
  invokedAt: number,
  completedAt: number | undefined,
  output?: number,
): CounterOp => ({
  clientId,
  input: { op: "increment", by: 1 },
  invokedAt,
  completedAt,
  output,
});
const read = (clientId: number, invokedAt: number, completedAt: number, output: number): CounterOp => ({
  clientId,
  input: { op: "read" },
  invokedAt,
  completedAt,
  output,
});
const counter = counterModel();
const register = registerModel();

/** Seeded so a failure reproduces. */
function prng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x + 0x6d2b79f5) | 0;
    let t = Math.imul(x ^ (x >>> 15), 1 | x);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Clients run ops back to back against a real atomic counter; each op takes effect at a random
 * instant inside its own interval, so the history is linearizable by construction and the
 * intervals of different clients overlap freely.
 */
function simulatedCounterHistory(
  clients: number,
  opsPerClient: number,
  seed: number,
  key?: string,
): CounterOp[] {
  const random = prng(seed);
  const planned: { op: CounterOp; at: number }[] = [];
  for (let c = 0; c < clients; c++) {
    let t = random() * 3;
    for (let i = 0; i < opsPerClient; i++) {
      const invokedAt = t + random() * 2;
      const at = invokedAt + random() * 5;
      const completedAt = at + random() * 5;
      const input: CounterInput =
        random() < 0.7 ? { op: "increment", by: 1 + Math.floor(random() * 3) } : { op: "read" };
      planned.push({ op: { clientId: c, key, input, invokedAt, completedAt }, at });
      t = completedAt;
    }
  }
  let value = 0;
  for (const { op } of planned.sort((a, b) => a.at - b.at)) {
    if (op.input.op === "increment") value += op.input.by;
    op.output = value;
  }
  return planned.map((p) => p.op);
}

describe("counter histories that are linearizable", () => {
  test("sequential increments and reads that match are accepted", () => {
    const history = [inc(1, 0, 1, 1), inc(2, 2, 3, 2), read(1, 4, 5, 2)];
    expect(checkLinearizable(counter, history)).toEqual({ ok: true });
  });

  test("overlapping increments may linearize in the opposite order to their invoke times", () => {
    // Client 1 invoked first but client 2's increment took effect first.
    const history = [inc(1, 0, 10, 2), inc(2, 1, 5, 1), read(3, 2, 3, 1)];
    expect(checkLinearizable(counter, history)).toEqual({ ok: true });
  });

  test("a timed-out increment that took effect explains a later read", () => {
    const history = [inc(1, 0, 1, 1), inc(2, 2, undefined), read(3, 10, 11, 2)];
    expect(checkLinearizable(counter, history)).toEqual({ ok: true });
  });

  test("a timed-out increment that never took effect is accepted too", () => {
    const history = [inc(1, 0, 1, 1), inc(2, 2, undefined), read(3, 10, 11, 1), inc(1, 12, 13, 2)];
    expect(checkLinearizable(counter, history)).toEqual({ ok: true });
  });

  test("an errored increment may have applied only before its error arrived", () => {
    // Ambiguous but bounded: it either applied inside [2, 4] or not at all.
    const errored: CounterOp = {
      clientId: 2,
      input: { op: "increment", by: 1 },
      invokedAt: 2,
      completedAt: 4,
    };
    expect(checkLinearizable(counter, [errored, read(1, 5, 6, 1)])).toEqual({ ok: true });
    expect(checkLinearizable(counter, [errored, read(1, 5, 6, 0)])).toEqual({ ok: true });
    expect(checkLinearizable(counter, [errored, read(1, 0, 1, 0), read(1, 5, 6, 2)]).ok).toBe(false);
  });

  test("1600 ops from 8 overlapping clients with some lost replies check as linearizable", () => {
    const history = simulatedCounterHistory(8, 200, 42);
    // Drop one reply in forty: the op happened, the client just never heard back.
    history.forEach((op, i) => {
      if (i % 40 === 7) {
        op.output = undefined;
        op.completedAt = undefined;
      }
    });
    expect(history).toHaveLength(1600);
    expect(checkLinearizable(counter, history, { budgetMs: 60_000 })).toEqual({ ok: true });
  });

  test("histories on many keys are checked key by key", () => {
    const history = [1, 2, 3, 4].flatMap((k) => simulatedCounterHistory(4, 50, k, `actor-${k}`));
    expect(checkLinearizable(counter, history, { budgetMs: 60_000 })).toEqual({ ok: true });
  });
});

describe("counter histories that are not linearizable", () => {
  test("a lost increment (two sequential increments both answer 1) is rejected, naming the second", () => {
    const second = inc(2, 2, 3, 1);
    const result = checkLinearizable(counter, [inc(1, 0, 1, 1), second]);
    expect(result.ok).toBe(false);
    if (result.ok !== false) return;
    expect(result.reason).toContain("not linearizable");
    // Once the first increment has happened, the second one's answer is the impossible one.
    expect(result.minimalWitness).toEqual([second]);
  });

  test("a duplicated increment (one increment read back as two) is rejected, naming the read", () => {
    const result = checkLinearizable(counter, [inc(1, 0, 1, 1), read(2, 2, 3, 2)]);
    expect(result.ok).toBe(false);
    if (result.ok !== false) return;
    expect(result.minimalWitness?.map((op) => op.input.op)).toEqual(["read"]);
  });

  test("a stale read after a completed increment is rejected", () => {
    const result = checkLinearizable(counter, [inc(1, 0, 1, 1), read(2, 2, 3, 0)]);
    expect(result.ok).toBe(false);
  });

  test("a single lost increment hidden in 1600 ops is found and shrunk to a small witness", () => {
    const history = simulatedCounterHistory(8, 200, 7, "hot");
    // Every later value is one short: the increment at position 800 was acknowledged, then lost.
    const byEffect = [...history].sort((a, b) => (a.output ?? 0) - (b.output ?? 0));
    const lostAt = byEffect[800]?.output ?? 0;
    const shifted = new Set<CounterOp>();
    for (const op of history) {
      if ((op.output ?? 0) <= lostAt) continue;
      op.output = (op.output ?? 0) - 1;
      shifted.add(op);
    }
    const result = checkLinearizable(counter, history, { budgetMs: 60_000 });
    expect(result.ok).toBe(false);
    if (result.ok !== false) return;
    expect(result.key).toBe("hot");
    const witness = result.minimalWitness ?? [];
    const shown = formatWitness(counter, witness);
    expect(witness.length, shown).toBeGreaterThan(0);
    expect(witness.length, shown).toBeLessThan(10);
    expect(
      witness.some((op) => shifted.has(op)),
      shown,
    ).toBe(true);
  });
});

describe("register histories", () => {
  const op = (
    clientId: number,
    input: RegisterInput,
    t0: number,
    t1: number,
    output: RegisterOutput,
  ): RegisterOp => ({
    clientId,
    input,
    invokedAt: t0,
    completedAt: t1,
    output,
  });

  test("concurrent writes with reads that see either one are accepted", () => {
    const history = [
      op(1, { op: "write", value: "a" }, 0, 10, true),
      op(2, { op: "write", value: "b" }, 1, 10, true),
      op(3, { op: "read" }, 2, 3, "b"),
      op(3, { op: "read" }, 4, 5, "a"),
    ];
    expect(checkLinearizable(register, history)).toEqual({ ok: true });
  });

  test("a stale read after a completed write is rejected", () => {
    const staleRead = op(2, { op: "read" }, 2, 3, null);
    const result = checkLinearizable(register, [op(1, { op: "write", value: 1 }, 0, 1, true), staleRead]);
    expect(result.ok).toBe(false);
    if (result.ok !== false) return;
    expect(result.minimalWitness).toEqual([staleRead]);
  });

  test("compare-and-set succeeds only once from the same expected value", () => {
    const cas = (c: number, t0: number, t1: number, ok: boolean): RegisterOp =>
      op(c, { op: "cas", expected: null, value: c }, t0, t1, ok);
    expect(checkLinearizable(register, [cas(1, 0, 5, true), cas(2, 1, 6, false)])).toEqual({ ok: true });
    const twice = [cas(1, 0, 5, true), cas(2, 1, 6, true)];
    const result = checkLinearizable(register, twice);
    expect(result.ok).toBe(false);
    // Either success alone is fine; only the pair conflicts, so the witness needs both.
    if (result.ok === false) expect(result.minimalWitness).toEqual(twice);
  });

  test("a timed-out write may be seen by a read or not", () => {
    const write: RegisterOp = { clientId: 1, input: { op: "write", value: "x" }, invokedAt: 0 };
    expect(checkLinearizable(register, [write, op(2, { op: "read" }, 5, 6, "x")])).toEqual({ ok: true });
    expect(checkLinearizable(register, [write, op(2, { op: "read" }, 5, 6, null)])).toEqual({ ok: true });
    expect(
      checkLinearizable(register, [
        write,
        op(2, { op: "read" }, 5, 6, "x"),
        op(2, { op: "read" }, 7, 8, null),
      ]).ok,
    ).toBe(false);
  });
});

describe("budget and input checks", () => {
  test("a search that cannot finish within its budget answers unknown instead of hanging", () => {
    // Many unanswered increments overlap everything after them: 2^n subsets to explore.
    const history: CounterOp[] = [];
    for (let i = 0; i < 60; i++) history.push(inc(i, i, undefined));
    for (let i = 0; i < 60; i++) history.push(read(100 + i, 100 + 2 * i, 101 + 2 * i, 61));
    const result = checkLinearizable(counter, history, { budgetMs: 200, maxStates: 50_000 });
    expect(result.ok).toBe("unknown");
  });

  test("an op that completes before it was invoked is refused as malformed", () => {
    expect(() => checkLinearizable(counter, [inc(1, 5, 4, 1)])).toThrow(TypeError);
  });

  test("the recorder keeps errored ops as ambiguous and drops ops proven to have had no effect", async () => {
    const recorder = new HistoryRecorder<CounterInput, CounterOutput>((e) => e instanceof RangeError);
    await recorder.record(1, "a", { op: "increment", by: 1 }, async () => 1);
    await recorder
      .record(1, "a", { op: "increment", by: 1 }, async () => {
        throw new Error("reply lost");
      })
      .catch(() => undefined);
    await recorder
      .record(1, "a", { op: "increment", by: 1 }, async () => {
        throw new RangeError("refused");
      })
      .catch(() => undefined);
    expect(recorder.ops).toHaveLength(2);
    expect(recorder.ops[1]?.output).toBeUndefined();
    expect(recorder.ops[1]?.completedAt).toBeNumber();
    expect(checkLinearizable(counter, recorder.ops)).toEqual({ ok: true });
  });
});
