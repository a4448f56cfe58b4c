import { AsyncLocalStorage } from "node:async_hooks";
import { rngFor } from "./seed.ts";

/**
 * What a call does, in the runtime's terms, whichever layer it is seen at: a port method on the
 * local backend, an AWS SDK command on the aws one. Rules name these, so one fault plan applies
 * to both backends.
 */
export type OpKind =
  | "acquire"
  | "load"
  | "commit"
  | "release"
  | "clearOutbox"
  | "read"
  | "renew"
  | "loadWaiting"
  | "listStranded"
  | "deadLetter"
  | "send"
  | "receive"
  | "ack"
  | "retry"
  | "release"
  | "deadLetters"
  | "schedule"
  | "cancel"
  | "stepList"
  | "stepRecord"
  | "publish"
  | "other";

export interface FaultRule {
  ops: readonly OpKind[] | "all";
  /** Extra latency before every matching call, uniform in [min, max] ms. */
  latencyMs?: readonly [number, number];
  /** A long stall before the call is sent (a GC pause, a frozen container). */
  pause?: { rate: number; ms: number; until?: () => Promise<void> };
  /** The call fails before it is sent: nothing happened. */
  errorBefore?: number;
  /** The call succeeded, then the caller sees an error: it happened, the caller cannot know. */
  ambiguousAfter?: number;
  /** The service refuses the call as throttled: nothing happened. */
  throttle?: number;
  /** A concurrent write won (a version conflict, a cancelled transaction): nothing happened. */
  conflict?: number;
  /** Only calls this returns true for (one owner, one actor, the nth call). */
  when?: (call: CallInfo) => boolean;
  /** Stop after this many faults (delays included) of this rule. */
  limit?: number;
}

export interface CallInfo {
  op: OpKind;
  /** Port arguments (local) or the SDK command input (aws). */
  args: unknown;
  /** The SDK command's name, when the call is one (aws). */
  command?: string;
}

export type FaultKind = "pause" | "error" | "ambiguous" | "throttle" | "conflict";

export interface FaultEvent {
  kind: FaultKind;
  op: OpKind;
  at: number;
}

/** How each backend spells a failure: typed runtime errors at the port, SDK-shaped ones on the wire. */
export interface FaultErrors {
  before(op: OpKind): Error;
  throttle(op: OpKind): Error;
  ambiguous(op: OpKind): Error;
  conflict(op: OpKind): Error;
}

const INJECTED = Symbol.for("durable.faults.injected");
type Marked = Error & { [INJECTED]?: FaultKind };

/** True when an error (or one of its causes) is an injected fault that hit after the call succeeded. */
export function appliedDespiteError(error: unknown): boolean {
  return injectedKind(error) === "ambiguous";
}

/** The injected fault behind an error, if it is one (adapters wrap errors, so the cause chain is walked). */
export function injectedKind(error: unknown): FaultKind | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const kind = (e as Marked)[INJECTED];
    if (kind) return kind;
  }
  return undefined;
}

/**
 * The port call being made, so a fault injected deeper (in SDK middleware) can tell observers
 * which call it is about to send: a commit paused in the middleware reports its lease here.
 */
export interface CallScope {
  op: OpKind;
  args: readonly unknown[];
  /** Runs right before the request leaves, after every pause and delay. */
  beforeSend?: () => void;
}

export const callScope = new AsyncLocalStorage<CallScope>();

/**
 * Decides, from seeded streams, which calls to delay, stall, fail before sending, fail after
 * succeeding or throttle. Each kind of call draws from its own stream, so a worker that polls a
 * lease more or less often (timing) does not shift the decisions about its commits. Counts what it
 * did, so a scenario can check it ran the faults it meant to.
 */
export class FaultInjector {
  readonly events: FaultEvent[] = [];
  readonly counts: Record<FaultKind, number> = { pause: 0, error: 0, ambiguous: 0, throttle: 0, conflict: 0 };
  #fired = new Map<FaultRule, number>();
  #streams = new Map<OpKind, () => number>();
  #enabled = true;

  constructor(
    /** Names this injector's streams: the same label and seed give the same decisions. */
    private readonly label: string,
    private readonly rules: readonly FaultRule[],
    private readonly errors: FaultErrors,
    /** The seed of the run (or of the sweep iteration) this injector belongs to. */
    private readonly seed: number,
  ) {}

  /** Turns faults off (setup and final reads should not be disturbed). */
  set enabled(on: boolean) {
    this.#enabled = on;
  }

  async before(call: CallInfo): Promise<void> {
    if (!this.#enabled) return;
    for (const rule of this.#matching(call)) {
      if (rule.latencyMs && this.#roll(call.op, rule, 1)) {
        const [min, max] = rule.latencyMs;
        await sleep(min + this.#stream(call.op)() * (max - min));
      }
      if (rule.pause && this.#roll(call.op, rule, rule.pause.rate)) {
        this.#note("pause", call.op);
        await Promise.all([sleep(rule.pause.ms), rule.pause.until?.()]);
      }
      if (rule.throttle !== undefined && this.#roll(call.op, rule, rule.throttle)) {
        this.#note("throttle", call.op);
        throw mark(this.errors.throttle(call.op), "throttle");
      }
      if (rule.conflict !== undefined && this.#roll(call.op, rule, rule.conflict)) {
        this.#note("conflict", call.op);
        throw mark(this.errors.conflict(call.op), "conflict");
      }
      if (rule.errorBefore !== undefined && this.#roll(call.op, rule, rule.errorBefore)) {
        this.#note("error", call.op);
        throw mark(this.errors.before(call.op), "error");
      }
    }
  }

  after(call: CallInfo): void {
    if (!this.#enabled) return;
    for (const rule of this.#matching(call)) {
      if (rule.ambiguousAfter !== undefined && this.#roll(call.op, rule, rule.ambiguousAfter)) {
        this.#note("ambiguous", call.op);
        throw mark(this.errors.ambiguous(call.op), "ambiguous");
      }
    }
  }

  #matching(call: CallInfo): FaultRule[] {
    return this.rules.filter(
      (rule) => (rule.ops === "all" || rule.ops.includes(call.op)) && (rule.when?.(call) ?? true),
    );
  }

  #stream(op: OpKind): () => number {
    let stream = this.#streams.get(op);
    if (!stream) {
      stream = rngFor(this.seed, `${this.label}/${op}`);
      this.#streams.set(op, stream);
    }
    return stream;
  }

  /** Draws for every rule and rate, even over the limit, so later decisions do not shift. */
  #roll(op: OpKind, rule: FaultRule, rate: number): boolean {
    const hit = this.#stream(op)() < rate;
    if (!hit) return false;
    const fired = this.#fired.get(rule) ?? 0;
    if (rule.limit !== undefined && fired >= rule.limit) return false;
    this.#fired.set(rule, fired + 1);
    return true;
  }

  #note(kind: FaultKind, op: OpKind): void {
    this.counts[kind]++;
    this.events.push({ kind, op, at: performance.now() });
  }
}

function mark(error: Error, kind: FaultKind): Error {
  (error as Marked)[INJECTED] = kind;
  return error;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
