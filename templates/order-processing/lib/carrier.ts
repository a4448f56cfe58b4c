/**
 * A stand-in for a shipping carrier's API. It dedupes by idempotency key like the payment
 * gateway, refuses the address "nowhere" (to try the refund-and-release path), and can be made
 * unavailable for a while (to try a crash after the charge).
 */

export type ShipmentRequest = {
  idempotencyKey: string;
  orderId: string;
  address: string;
  lines: { sku: string; qty: number }[];
};
export type ShipmentResponse = { ok: true; trackingId: string } | { ok: false; reason: string };

export const UNDELIVERABLE_ADDRESS = "nowhere";

export class CarrierUnavailableError extends Error {
  constructor() {
    super("carrier API unavailable (503)");
    this.name = "CarrierUnavailableError";
  }
}

export class FakeCarrier {
  readonly #answers = new Map<string, ShipmentResponse>();
  readonly #requests: string[] = [];
  #outages = 0;

  async createShipment(request: ShipmentRequest): Promise<ShipmentResponse> {
    this.#requests.push(request.idempotencyKey);
    if (this.#outages > 0) {
      this.#outages -= 1;
      throw new CarrierUnavailableError();
    }
    const known = this.#answers.get(request.idempotencyKey);
    if (known) return known;
    const answer: ShipmentResponse =
      request.address.trim().toLowerCase() === UNDELIVERABLE_ADDRESS
        ? { ok: false, reason: "undeliverable address" }
        : { ok: true, trackingId: `trk_${this.#answers.size + 1}` };
    this.#answers.set(request.idempotencyKey, answer);
    return answer;
  }

  /** The next `count` requests fail before the carrier does anything. */
  failNextRequests(count = 1): void {
    this.#outages = count;
  }

  requests(): readonly string[] {
    return this.#requests;
  }

  reset(): void {
    this.#answers.clear();
    this.#requests.length = 0;
    this.#outages = 0;
  }
}

export const carrier = new FakeCarrier();
