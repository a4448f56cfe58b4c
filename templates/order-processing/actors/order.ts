import { type ActorContext, actor, InvalidInputError } from "../durable/index.ts";
import { carrier } from "../lib/carrier.ts";
import { checkLines, type Line, type ReserveResult } from "./inventory.ts";
import type { ChargeResult } from "./payment.ts";

export type OrderStatus = "new" | "shipped" | "rejected" | "payment_declined" | "cancelled";
export type OrderState = {
  status: OrderStatus;
  lines: Line[];
  total: number | null;
  chargeId: string | null;
  trackingId: string | null;
  reason: string | null;
  steps: string[];
};
export type OrderView = OrderState & { orderId: string };

export const INVENTORY = "inventory-main";

/**
 * One order (`order-1`) and the workflow that places it: reserve stock → charge → ship → fulfil,
 * compensating on failure (a declined card releases the stock; an undeliverable address refunds
 * and releases). Every step is durable, so a crash anywhere resumes where it stopped when the
 * same message is delivered again:
 * - ctx.call ids derive from this message's id, so a repeated call to inventory or payment returns
 *   the result they already committed instead of running again;
 * - the carrier request runs in ctx.step, recorded once and replayed on retry;
 * - the order's own state commits only when the workflow has finished.
 */
export const order = actor("order", {
  state: (): OrderState => ({
    status: "new",
    lines: [],
    total: null,
    chargeId: null,
    trackingId: null,
    reason: null,
    steps: [],
  }),
  defaultHandler: "status",
  handlers: {
    async place(ctx, input: { lines: Line[]; card?: string; address?: string }): Promise<OrderView> {
      const { state } = ctx;
      // Placing again (a client retry with a new message id) reports the outcome, it never re-runs.
      if (state.status !== "new") return view(ctx.actorId, state);
      const lines = checkLines(input?.lines);
      const card = input?.card ?? "tok_visa";
      const address = input?.address ?? "1 Main St";
      if (typeof card !== "string" || typeof address !== "string")
        throw new InvalidInputError("card and address must be strings");
      const orderId = ctx.actorId;
      const paymentId = `payment-${orderId}`;
      state.lines = lines;

      const reserved = await ctx.call<ReserveResult>(INVENTORY, "reserve", { orderId, lines });
      if (!reserved.ok) return finish(ctx, "rejected", reserved.reason);
      state.total = reserved.total;
      state.steps.push("reserved");

      const charge = await ctx.call<ChargeResult>(paymentId, "charge", { amount: reserved.total, card });
      if (!charge.ok) {
        await ctx.call(INVENTORY, "release", { orderId });
        state.steps.push("released");
        return finish(ctx, "payment_declined", charge.reason);
      }
      state.chargeId = charge.chargeId;
      state.steps.push("charged");

      const shipment = await ctx.step("ship", ({ idempotencyKey }) =>
        carrier.createShipment({ idempotencyKey, orderId, address, lines }),
      );
      if (!shipment.ok) {
        await ctx.call(paymentId, "refund");
        await ctx.call(INVENTORY, "release", { orderId });
        state.steps.push("refunded", "released");
        return finish(ctx, "cancelled", shipment.reason);
      }
      state.trackingId = shipment.trackingId;
      state.steps.push("shipped");
      await ctx.call(INVENTORY, "fulfil", { orderId });
      return finish(ctx, "shipped", null);
    },

    status(ctx): OrderView {
      return view(ctx.actorId, ctx.state);
    },
  },
});

function finish(ctx: ActorContext<OrderState>, status: OrderStatus, reason: string | null): OrderView {
  ctx.state.status = status;
  ctx.state.reason = reason;
  const result = view(ctx.actorId, ctx.state);
  // Committed with the order's state: subscribers hear about an order exactly when it is final.
  ctx.signal("order.finished", result);
  return result;
}

function view(orderId: string, state: OrderState): OrderView {
  return { orderId, ...state, lines: [...state.lines], steps: [...state.steps] };
}
