import { actor, InvalidInputError } from "../durable/index.ts";
import { paymentGateway } from "../lib/payment-gateway.ts";

export type ChargeResult = { ok: true; chargeId: string } | { ok: false; reason: string };
export type PaymentStatus = "none" | "charged" | "declined" | "refunded";

/**
 * The payment of one order (`payment-order-1`): the only actor that talks to the payment
 * gateway. Each gateway request runs in ctx.step with the step's idempotencyKey, so a retry after
 * a lost response gets the gateway's first answer instead of a second charge.
 */
export const payment = actor("payment", {
  state: () => ({
    status: "none" as PaymentStatus,
    amount: 0,
    chargeId: null as string | null,
    reason: null as string | null,
  }),
  defaultHandler: "status",
  handlers: {
    async charge(ctx, input: { amount: number; card: string }): Promise<ChargeResult> {
      const { state } = ctx;
      if (state.status === "charged" && state.chargeId) return { ok: true, chargeId: state.chargeId };
      if (state.status !== "none") throw new InvalidInputError(`${ctx.actorId} is already ${state.status}`);
      const amount = input?.amount;
      if (!Number.isInteger(amount) || amount < 1)
        throw new InvalidInputError(`amount must be a positive integer (cents)`);
      const card = typeof input?.card === "string" ? input.card : "";
      const answer = await ctx.step("charge", ({ idempotencyKey }) =>
        paymentGateway.charge({ idempotencyKey, amount, card }),
      );
      state.amount = amount;
      if (answer.ok) Object.assign(state, { status: "charged", chargeId: answer.chargeId });
      else Object.assign(state, { status: "declined", reason: answer.reason });
      return answer;
    },

    /** Gives the money back (compensation). Refunding twice is a no-op. */
    async refund(ctx): Promise<{ refunded: boolean }> {
      const { state } = ctx;
      if (state.status !== "charged" || !state.chargeId) return { refunded: false };
      const chargeId = state.chargeId;
      await ctx.step("refund", ({ idempotencyKey }) => paymentGateway.refund({ idempotencyKey, chargeId }));
      state.status = "refunded";
      return { refunded: true };
    },

    status(ctx) {
      return ctx.state;
    },
  },
});
