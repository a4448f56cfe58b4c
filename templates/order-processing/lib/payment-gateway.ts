/**
 * A stand-in for an external payment API (think Stripe): it lives outside the actor's turn, so a
 * charge it made survives a crash of the handler that asked for it. Like the real thing it
 * honours idempotency keys: a retried request with the same key returns the first answer instead
 * of charging again. Replace it with your provider's SDK; keep passing the step's idempotencyKey.
 */

export type ChargeRequest = { idempotencyKey: string; amount: number; card: string };
export type ChargeResponse = { ok: true; chargeId: string } | { ok: false; reason: string };
export type RefundRequest = { idempotencyKey: string; chargeId: string };
export type RefundResponse = { ok: true; refundId: string };
export type RecordedCharge = {
  chargeId: string;
  idempotencyKey: string;
  amount: number;
  card: string;
  refunded: boolean;
};

/** A card token the fake declines, to try the compensation path. */
export const DECLINED_CARD = "tok_declined";

export class GatewayTimeoutError extends Error {
  constructor() {
    super("payment gateway timed out (it may have charged the card)");
    this.name = "GatewayTimeoutError";
  }
}

export class FakePaymentGateway {
  readonly #answers = new Map<string, ChargeResponse | RefundResponse>();
  readonly #charges: RecordedCharge[] = [];
  readonly #requests: string[] = [];
  #lostResponses = 0;

  async charge(request: ChargeRequest): Promise<ChargeResponse> {
    const answer =
      (this.#answer(request.idempotencyKey) as ChargeResponse | undefined) ?? this.#charge(request);
    return this.#respond(answer);
  }

  async refund(request: RefundRequest): Promise<RefundResponse> {
    const known = this.#answer(request.idempotencyKey) as RefundResponse | undefined;
    if (known) return this.#respond(known);
    const charge = this.#charges.find((c) => c.chargeId === request.chargeId);
    if (!charge) throw new Error(`no charge ${request.chargeId}`);
    charge.refunded = true;
    const answer: RefundResponse = { ok: true, refundId: `re_${charge.chargeId.slice(3)}` };
    this.#answers.set(request.idempotencyKey, answer);
    return this.#respond(answer);
  }

  /**
   * The next `count` answers are lost after the gateway did the work: the caller sees a timeout
   * although the card was charged, the case idempotency keys exist for.
   */
  loseNextResponses(count = 1): void {
    this.#lostResponses = count;
  }

  /** Every charge made, once per idempotency key: a duplicate charge would show up here. */
  charges(): readonly RecordedCharge[] {
    return this.#charges;
  }

  /** The idempotency key of every request received, retries included. */
  requests(): readonly string[] {
    return this.#requests;
  }

  reset(): void {
    this.#answers.clear();
    this.#charges.length = 0;
    this.#requests.length = 0;
    this.#lostResponses = 0;
  }

  #answer(idempotencyKey: string): ChargeResponse | RefundResponse | undefined {
    this.#requests.push(idempotencyKey);
    return this.#answers.get(idempotencyKey);
  }

  #charge(request: ChargeRequest): ChargeResponse {
    let answer: ChargeResponse;
    if (request.card === DECLINED_CARD) answer = { ok: false, reason: "card_declined" };
    else {
      const chargeId = `ch_${this.#charges.length + 1}`;
      this.#charges.push({
        chargeId,
        idempotencyKey: request.idempotencyKey,
        amount: request.amount,
        card: request.card,
        refunded: false,
      });
      answer = { ok: true, chargeId };
    }
    this.#answers.set(request.idempotencyKey, answer);
    return answer;
  }

  #respond<T>(answer: T): T {
    if (this.#lostResponses > 0) {
      this.#lostResponses -= 1;
      throw new GatewayTimeoutError();
    }
    return answer;
  }
}

/** One gateway per process, like an SDK client. */
export const paymentGateway = new FakePaymentGateway();
