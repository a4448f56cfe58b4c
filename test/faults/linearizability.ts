/**
 * Linearizability checker for recorded histories (Wing & Gong search, Porcupine-style).
 *
 * A history is what clients saw: who called what, when, and what came back. It is
 * linearizable when every op can be placed at one instant between its invoke and its
 * completion so that the sequence of ops, run on the model, gives every observed output.
 * An op with no observed output (timed out, connection cut, ambiguous error) may have taken
 * effect at any instant after its invoke (before its completion if it has one), or not at all.
 *
 * The history is split by `key` and each part checked alone: linearizability is compositional
 * (Herlihy & Wing), and small parts keep the search small.
 */
import type { Model } from "./linearizability-models.ts";
import { type SearchOp, type SearchOutcome, searchLinearization } from "./linearizability-search.ts";

export * from "./linearizability-models.ts";

export interface Operation<I, O> {
  clientId: string | number;
  /** The object the op addressed (an actor id, say). Ops on different keys never interact. */
  key?: string;
  input: I;
  invokedAt: number;
  /** Absent when the client never heard back. */
  completedAt?: number;
  /** Absent when the outcome is unknown: the op may have taken effect or not. */
  output?: O;
}

export interface CheckOptions {
  /** Wall-clock budget for the whole check, witness included; past it the answer is "unknown". */
  budgetMs?: number;
  /** Memoized (linearized set, state) pairs allowed per key before the answer is "unknown". */
  maxStates?: number;
  /** Shrink a failing history to a minimal witness (default true). */
  witness?: boolean;
}

export type CheckResult<I, O> =
  | { ok: true }
  | {
      ok: false;
      reason: string;
      key: string | undefined;
      /**
       * A minimal set of ops (each one needed) whose observed outputs cannot all hold: even
       * with every other op on the key taking effect inside its interval (ambiguous ones as
       * recorded) and its output ignored, no linearization explains them. The ops to look at
       * first. Absent when the shrink ran out of budget.
       */
      minimalWitness?: Operation<I, O>[];
    }
  | { ok: "unknown"; reason: string };

const DEFAULT_BUDGET_MS = 10_000;
const DEFAULT_MAX_STATES = 2_000_000;

function validate<I, O>(op: Operation<I, O>, index: number): void {
  const where = `operation #${index} (client ${op.clientId})`;
  if (!Number.isFinite(op.invokedAt)) throw new TypeError(`${where}: invokedAt must be a finite number`);
  if (op.completedAt !== undefined && !(op.completedAt >= op.invokedAt)) {
    throw new TypeError(`${where}: completedAt must be a number no earlier than invokedAt`);
  }
  if (op.completedAt === undefined && op.output !== undefined) {
    throw new TypeError(`${where}: an op that never completed cannot have an output`);
  }
}

function toSearchOp<I, O>(op: Operation<I, O>): SearchOp<I, O> {
  return {
    input: op.input,
    invokedAt: op.invokedAt,
    completedAt: op.completedAt ?? Number.POSITIVE_INFINITY,
    output: op.output,
    optional: op.output === undefined,
  };
}

function partition<I, O>(history: readonly Operation<I, O>[]): Map<string | undefined, Operation<I, O>[]> {
  const parts = new Map<string | undefined, Operation<I, O>[]>();
  for (const op of history) {
    const part = parts.get(op.key);
    if (part) part.push(op);
    else parts.set(op.key, [op]);
  }
  return parts;
}

function describeOp<S, I, O>(model: Model<S, I, O>, op: Operation<I, O>): string {
  const call = model.describe
    ? model.describe(op.input, op.output)
    : `${JSON.stringify(op.input)} → ${op.output === undefined ? "?" : JSON.stringify(op.output)}`;
  const end = op.completedAt === undefined ? "…" : String(op.completedAt);
  return `client ${op.clientId}: ${call} [${op.invokedAt}, ${end}]`;
}

function byTime(
  a: SearchOp<unknown, unknown> | undefined,
  b: SearchOp<unknown, unknown> | undefined,
): number {
  return (a?.completedAt ?? 0) - (b?.completedAt ?? 0) || (a?.invokedAt ?? 0) - (b?.invokedAt ?? 0);
}

/**
 * Delta-debugging shrink over observations. Un-observing an op (it still takes effect inside
 * its interval, its output is just not checked) only ever adds linearizations, so a history
 * that still fails proves the outputs left observed conflict with the ops performed. Keeping
 * every effect keeps the search as small as the original one; also allowing ops to vanish
 * would make a counter's value a subset sum and the search exponential.
 */
function shrink<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly SearchOp<I, O>[],
  stuckOp: number,
  deadline: number,
  maxStates: number,
): number[] | undefined {
  // Latest first, so the witness keeps the earliest observations that go wrong: later ones
  // are often only wrong because of them.
  let kept = ops
    .flatMap((op, i) => (op.output === undefined ? [] : [i]))
    .sort((a, b) => byTime(ops[a], ops[b]));
  const failsWith = (candidate: readonly number[]): boolean | undefined => {
    const keep = new Set(candidate);
    // Unobserved ops invoked after every observed one completed can always go last: drop them.
    const horizon = Math.max(...candidate.map((i) => ops[i]?.completedAt ?? 0));
    const relaxed = ops.flatMap((op, i) => {
      if (keep.has(i)) return [op];
      return op.invokedAt > horizon ? [] : [{ ...op, output: undefined }];
    });
    const outcome = searchLinearization(model, relaxed, { deadline, maxStates });
    return outcome.kind === "unknown" ? undefined : outcome.kind === "fail";
  };
  // The op the search got stuck on is usually the first wrong observation: when it fails on
  // its own it is a minimal witness, since no observations at all always linearize.
  if (ops[stuckOp]?.output !== undefined) {
    const alone = failsWith([stuckOp]);
    if (alone === undefined) return undefined;
    if (alone) return [stuckOp];
  }
  let chunk = Math.max(1, Math.ceil(kept.length / 2));
  for (;;) {
    for (let end = kept.length; end > 0; ) {
      const start = Math.max(0, end - chunk);
      const candidate = [...kept.slice(0, start), ...kept.slice(end)];
      const fails = failsWith(candidate);
      if (fails === undefined) return undefined;
      if (fails) kept = candidate;
      end = start;
    }
    if (chunk === 1) return kept;
    chunk = Math.ceil(chunk / 2);
  }
}

export function checkLinearizable<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult<I, O> {
  history.forEach(validate);
  const deadline = performance.now() + (options.budgetMs ?? DEFAULT_BUDGET_MS);
  const maxStates = options.maxStates ?? DEFAULT_MAX_STATES;
  let unknown: string | undefined;
  for (const [key, ops] of partition(history)) {
    const searchOps = ops.map(toSearchOp);
    const outcome: SearchOutcome = searchLinearization(model, searchOps, { deadline, maxStates });
    if (outcome.kind === "unknown") {
      // Keep going: another key may still prove a violation, which is the stronger answer.
      unknown ??= `${outcome.why} while checking key ${key ?? "(none)"} (${ops.length} ops)`;
      continue;
    }
    if (outcome.kind === "ok") continue;
    const stuck = ops[outcome.stuckOp];
    const where = key === undefined ? "" : ` on key ${key}`;
    const reason =
      `${model.name} history${where} is not linearizable: no order of the ${ops.length} ops explains ` +
      `${stuck ? describeOp(model, stuck) : "the history"} ` +
      `(longest valid prefix: ${outcome.prefixLength} ops)`;
    const failure: Extract<CheckResult<I, O>, { ok: false }> = { ok: false, reason, key };
    if (options.witness !== false) {
      const kept = shrink(model, searchOps, outcome.stuckOp, deadline, maxStates);
      if (kept) failure.minimalWitness = kept.map((i) => ops[i] as Operation<I, O>);
    }
    return failure;
  }
  return unknown === undefined ? { ok: true } : { ok: "unknown", reason: unknown };
}

/**
 * Records real calls into a history. An error leaves the op ambiguous (it may have committed
 * before the reply was lost) but bounded by the moment the error arrived; pass `noEffect`
 * for errors that prove nothing happened (validation, refused before any write) to drop them.
 */
export class HistoryRecorder<I, O> {
  readonly ops: Operation<I, O>[] = [];
  constructor(private readonly noEffect: (error: unknown) => boolean = () => false) {}

  async record(
    clientId: string | number,
    key: string | undefined,
    input: I,
    run: () => Promise<O>,
  ): Promise<O> {
    const op: Operation<I, O> = { clientId, key, input, invokedAt: performance.now() };
    this.ops.push(op);
    try {
      op.output = await run();
      op.completedAt = performance.now();
      return op.output;
    } catch (error) {
      if (this.noEffect(error)) this.ops.splice(this.ops.indexOf(op), 1);
      else op.completedAt = performance.now();
      throw error;
    }
  }
}

/** A readable multi-line account of a witness, for assertion messages and logs. */
export function formatWitness<S, I, O>(model: Model<S, I, O>, witness: readonly Operation<I, O>[]): string {
  return witness.map((op) => `  ${describeOp(model, op)}`).join("\n");
}
