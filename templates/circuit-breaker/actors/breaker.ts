import { type ActorContext, actor, InvalidInputError } from "../durable/index.ts";

export type BreakerStatus = "closed" | "open" | "half-open";
export type BreakerConfig = {
  /** Failures within `windowMs` that open the circuit. */
  failureThreshold: number;
  windowMs: number;
  /** How long the circuit stays open before a probe is let through (half-open). */
  openMs: number;
};
export type Decision = { allowed: boolean; status: BreakerStatus; retryAfterMs: number };
export type BreakerView = BreakerConfig & {
  downstream: string;
  status: BreakerStatus;
  recentFailures: number;
  opens: number;
  halfOpenAt: string | null;
};
/** The detail of the signals circuit.opened, circuit.half-open and circuit.closed. */
export type CircuitEvent = { breaker: string; downstream: string; status: BreakerStatus; at: number };

type BreakerState = BreakerConfig & {
  status: BreakerStatus;
  /** When the recent failures happened (closed only; at most failureThreshold of them). */
  failures: number[];
  openedAt: number | null;
  /** When the half-open probe was let through; null while none is out. */
  probeAt: number | null;
  opens: number;
};

const DEFAULTS: BreakerConfig = { failureThreshold: 5, windowMs: 60_000, openMs: 30_000 };
const HALF_OPEN = "half-open";
type Ctx = ActorContext<BreakerState>;

/**
 * A circuit breaker per downstream (`breaker-payments`). Callers ask `allow` before calling the
 * downstream and `record` the outcome (or do both with `call`). Every caller, on every Lambda,
 * sees the same circuit, because it is one actor with one writer.
 */
export const breaker = actor("breaker", {
  state: (): BreakerState => ({
    ...DEFAULTS,
    status: "closed",
    failures: [],
    openedAt: null,
    probeAt: null,
    opens: 0,
  }),
  defaultHandler: "status",
  handlers: {
    status(ctx): BreakerView {
      return view(ctx);
    },

    /** May the caller call the downstream now? In half-open, only one probe at a time may. */
    allow(ctx): Decision {
      return decide(ctx);
    },

    /** The outcome of a call the breaker allowed. */
    record(ctx, input: { ok: boolean }): BreakerView {
      record(ctx, checkOk(input));
      return view(ctx);
    },

    /** `allow` and `record` in one turn, for a downstream call whose result is already known (a simulation). */
    call(ctx, input: { ok: boolean }): Decision {
      const ok = checkOk(input);
      const decision = decide(ctx);
      if (decision.allowed) record(ctx, ok);
      return { ...decision, status: ctx.state.status };
    },

    configure(ctx, input: Partial<BreakerConfig>): BreakerView {
      const next = { ...pickConfig(ctx.state), ...input };
      for (const [key, min, max] of [
        ["failureThreshold", 1, 1000],
        ["windowMs", 100, 86_400_000],
        ["openMs", 100, 86_400_000],
      ] as const) {
        const value = next[key];
        if (!Number.isInteger(value) || value < min || value > max) {
          throw new InvalidInputError(
            `${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
          );
        }
      }
      Object.assign(ctx.state, pickConfig(next));
      return view(ctx);
    },

    /** Closes the circuit by hand (an operator knows the downstream is back). */
    reset(ctx): BreakerView {
      if (ctx.state.status !== "closed") close(ctx);
      ctx.state.failures = [];
      return view(ctx);
    },
  },

  alarm(ctx, timer) {
    // Only the open → half-open timer exists; a fire after a manual reset finds the circuit closed.
    if (timer.name !== HALF_OPEN || ctx.state.status !== "open") return;
    ctx.state.status = "half-open";
    ctx.state.probeAt = null;
    ctx.signal("circuit.half-open", event(ctx));
  },
});

function decide(ctx: Ctx): Decision {
  const s = ctx.state;
  if (s.status === "closed") return { allowed: true, status: s.status, retryAfterMs: 0 };
  if (s.status === "open") {
    return {
      allowed: false,
      status: s.status,
      retryAfterMs: Math.max(0, (s.openedAt ?? ctx.now) + s.openMs - ctx.now),
    };
  }
  // A probe that never reported back (its caller crashed) must not keep the circuit half-open forever.
  if (s.probeAt !== null && ctx.now - s.probeAt < s.openMs) {
    return { allowed: false, status: s.status, retryAfterMs: s.probeAt + s.openMs - ctx.now };
  }
  s.probeAt = ctx.now;
  return { allowed: true, status: s.status, retryAfterMs: 0 };
}

function record(ctx: Ctx, ok: boolean): void {
  const s = ctx.state;
  if (s.status === "half-open") {
    if (ok) close(ctx);
    else open(ctx);
    return;
  }
  // Results that arrive while open come from calls let through before it opened: ignored.
  if (s.status === "open" || ok) return;
  s.failures = [...s.failures.filter((t) => ctx.now - t < s.windowMs), ctx.now].slice(-s.failureThreshold);
  if (s.failures.length >= s.failureThreshold) open(ctx);
}

function open(ctx: Ctx): void {
  Object.assign(ctx.state, {
    status: "open",
    openedAt: ctx.now,
    failures: [],
    probeAt: null,
    opens: ctx.state.opens + 1,
  });
  ctx.setAlarm(ctx.state.openMs, { name: HALF_OPEN });
  ctx.signal("circuit.opened", event(ctx));
}

function close(ctx: Ctx): void {
  Object.assign(ctx.state, { status: "closed", openedAt: null, failures: [], probeAt: null });
  ctx.cancelAlarm(HALF_OPEN);
  ctx.signal("circuit.closed", event(ctx));
}

function checkOk(input: { ok: boolean }): boolean {
  if (typeof input?.ok !== "boolean")
    throw new InvalidInputError('pass the outcome as {"ok": true} or {"ok": false}');
  return input.ok;
}

function pickConfig(c: BreakerConfig): BreakerConfig {
  return { failureThreshold: c.failureThreshold, windowMs: c.windowMs, openMs: c.openMs };
}

function downstreamOf(actorId: string): string {
  return actorId.replace(/^breaker[-:.]/, "");
}

function event(ctx: Ctx): CircuitEvent {
  return {
    breaker: ctx.actorId,
    downstream: downstreamOf(ctx.actorId),
    status: ctx.state.status,
    at: ctx.now,
  };
}

function view(ctx: Ctx): BreakerView {
  const s = ctx.state;
  const halfOpenAt =
    s.status === "open" && s.openedAt !== null ? new Date(s.openedAt + s.openMs).toISOString() : null;
  return {
    ...pickConfig(s),
    downstream: downstreamOf(ctx.actorId),
    status: s.status,
    recentFailures: s.failures.filter((t) => ctx.now - t < s.windowMs).length,
    opens: s.opens,
    halfOpenAt,
  };
}
