/**
 * The Wing & Gong search with Lowe's / Porcupine's memoization, for one object's history.
 *
 * Call and return events sit in one time-ordered doubly linked list. The search walks it from
 * the head: linearizing an op "lifts" its call and return out of the list and restarts at the
 * head; meeting a return means some op finished before it was placed, so the last choice is
 * undone. A set of (linearized ops, state) pairs already explored prunes the search: reaching
 * the same pair twice cannot lead anywhere new.
 */
import type { Model } from "./linearizability-models.ts";

export interface SearchOp<I, O> {
  readonly input: I;
  readonly invokedAt: number;
  /** Infinity when the client never heard back. */
  readonly completedAt: number;
  /** Undefined when the output was not observed (or is not to be checked). */
  readonly output: O | undefined;
  /** True when the op may never have taken effect, so the search may also leave it out. */
  readonly optional: boolean;
}

export interface Budget {
  readonly deadline: number;
  readonly maxStates: number;
}

export type SearchOutcome =
  | { kind: "ok" }
  | { kind: "fail"; stuckOp: number; prefixLength: number }
  | { kind: "unknown"; why: string };

interface Frame<S> {
  op: number;
  before: S;
  skipped: boolean;
}

const HEAD = 0;
const callNode = (op: number): number => 1 + 2 * op;
const returnNode = (op: number): number => 2 + 2 * op;
const opOf = (node: number): number => (node - 1) >> 1;
const isCall = (node: number): boolean => (node & 1) === 1;

/** Fixed-seed xorshift: the Zobrist table must be the same on every run for reproducible timings. */
function zobristTable(n: number, seed: number): Uint32Array {
  const table = new Uint32Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    table[i] = x >>> 0;
  }
  return table;
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function searchLinearization<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly SearchOp<I, O>[],
  budget: Budget,
): SearchOutcome {
  const n = ops.length;
  // Ties put calls first: equal timestamps cannot prove one op finished before the other began.
  const events: { node: number; time: number }[] = [];
  ops.forEach((op, i) => {
    events.push({ node: callNode(i), time: op.invokedAt }, { node: returnNode(i), time: op.completedAt });
  });
  events.sort(
    (a, b) => a.time - b.time || Number(isCall(b.node)) - Number(isCall(a.node)) || a.node - b.node,
  );
  const next = new Int32Array(2 * n + 1).fill(-1);
  const prev = new Int32Array(2 * n + 1).fill(-1);
  let tail = HEAD;
  for (const { node } of events) {
    next[tail] = node;
    prev[node] = tail;
    tail = node;
  }
  const lift = (op: number): void => {
    for (const node of [callNode(op), returnNode(op)]) {
      const p = prev[node] as number;
      const q = next[node] as number;
      next[p] = q;
      if (q !== -1) prev[q] = p;
    }
  };
  const unlift = (op: number): void => {
    for (const node of [returnNode(op), callNode(op)]) {
      const p = prev[node] as number;
      const q = next[node] as number;
      next[p] = node;
      if (q !== -1) prev[q] = node;
    }
  };

  const bits = new Uint32Array((n + 31) >>> 5);
  const zobristA = zobristTable(n, 0x9e3779b9);
  const zobristB = zobristTable(n, 0x85ebca6b);
  let hashA = 0;
  let hashB = 0;
  const toggle = (op: number): void => {
    bits[op >>> 5] = (bits[op >>> 5] as number) ^ (1 << (op & 31));
    hashA = (hashA ^ (zobristA[op] as number)) >>> 0;
    hashB = (hashB ^ (zobristB[op] as number)) >>> 0;
  };
  // Bucketed by hash and state; the bitsets themselves settle collisions, so the cache is exact.
  const seen = new Map<string, Uint32Array[]>();
  let seenCount = 0;

  // An optional op can always be left out, so once only those remain the history is explained.
  let definiteLeft = ops.filter((op) => !op.optional).length;
  const stack: Frame<S>[] = [];
  let state = model.init();
  let entry = next[HEAD] as number;
  let stuckOp = -1;
  let prefixLength = -1;
  let steps = 0;

  const tryLinearize = (op: number, after: S, skipped: boolean): boolean => {
    toggle(op);
    const key = `${hashA}:${hashB}:${model.stateKey(after)}`;
    const bucket = seen.get(key);
    if (bucket?.some((b) => sameBits(b, bits))) {
      toggle(op);
      return false;
    }
    if (bucket) bucket.push(bits.slice());
    else seen.set(key, [bits.slice()]);
    seenCount++;
    stack.push({ op, before: state, skipped });
    state = after;
    if (!ops[op]?.optional) definiteLeft--;
    lift(op);
    entry = next[HEAD] as number;
    return true;
  };

  while (definiteLeft > 0) {
    if ((++steps & 1023) === 0) {
      if (performance.now() > budget.deadline) return { kind: "unknown", why: "time budget exhausted" };
      if (seenCount > budget.maxStates) return { kind: "unknown", why: "state budget exhausted" };
    }
    // The list always ends with a return, so the walk meets one before running off the end.
    if (isCall(entry)) {
      const op = opOf(entry);
      const { input, output: observed, optional } = ops[op] as SearchOp<I, O>;
      const { state: after, output } = model.apply(state, input);
      if (observed === undefined || model.sameOutput(output, observed)) {
        if (tryLinearize(op, after, false)) continue;
      }
      if (optional && tryLinearize(op, state, true)) continue;
      entry = next[entry] as number;
      continue;
    }
    if (stack.length > prefixLength) {
      prefixLength = stack.length;
      stuckOp = opOf(entry);
    }
    const frame = stack.pop();
    if (frame === undefined) return { kind: "fail", stuckOp, prefixLength };
    unlift(frame.op);
    toggle(frame.op);
    state = frame.before;
    if (!ops[frame.op]?.optional) definiteLeft++;
    // Applying an optional op failed below this point; not applying it is the other branch.
    if (!frame.skipped && ops[frame.op]?.optional && tryLinearize(frame.op, state, true)) continue;
    entry = next[callNode(frame.op)] as number;
  }
  return { kind: "ok" };
}
