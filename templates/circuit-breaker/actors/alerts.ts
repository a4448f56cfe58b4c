import { actor } from "../durable/index.ts";
import type { CircuitEvent } from "./breaker.ts";

const KEEP = 50;
const toOps = () => "alerts-ops";

/**
 * Subscribes to the breakers' signals, as an on-call channel would: `alerts-ops` keeps the latest
 * circuit changes. Locally the fabric routes the signals; on AWS an EventBridge rule does.
 */
export const alerts = actor("alerts", {
  state: () => ({ events: [] as CircuitEvent[] }),
  defaultHandler: "latest",
  signals: {
    "circuit.opened": { to: toOps, handler: "notify" },
    "circuit.half-open": { to: toOps, handler: "notify" },
    "circuit.closed": { to: toOps, handler: "notify" },
  },
  handlers: {
    notify(ctx, input: CircuitEvent) {
      ctx.state.events = [input, ...ctx.state.events].slice(0, KEEP);
      if (input.status === "open") ctx.log.warn("circuit opened", { breaker: input.breaker });
    },
    latest(ctx): CircuitEvent[] {
      return ctx.state.events;
    },
  },
});
