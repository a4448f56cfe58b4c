import { actor, InvalidInputError } from "../durable/index.ts";

export type Line = { sku: string; qty: number };
export type StockItem = { sku: string; price: number; available: number; reserved: number; shipped: number };
export type Reservation = { orderId: string; lines: Line[]; total: number };
export type ReserveResult = { ok: true; total: number } | { ok: false; reason: string };

/** A small catalogue so `durable invoke order-1 place` works on a fresh project. Prices in cents. */
const CATALOGUE: StockItem[] = [
  { sku: "book", price: 1500, available: 10, reserved: 0, shipped: 0 },
  { sku: "mug", price: 800, available: 5, reserved: 0, shipped: 0 },
  { sku: "poster", price: 1200, available: 0, reserved: 0, shipped: 0 },
];

const SKU = /^[a-z0-9][a-z0-9-]{0,31}$/;

/**
 * One stock pool (`inventory-main`, or one per warehouse). Reservations are all-or-nothing and
 * keyed by order id, so a retried reserve for the same order never reserves twice.
 */
export const inventory = actor("inventory", {
  state: () => ({ items: CATALOGUE.map((i) => ({ ...i })), reservations: [] as Reservation[] }),
  defaultHandler: "stock",
  handlers: {
    reserve(ctx, input: { orderId: string; lines: Line[] }): ReserveResult {
      const { items, reservations } = ctx.state;
      const lines = checkLines(input?.lines);
      const held = reservations.find((r) => r.orderId === input.orderId);
      if (held) return { ok: true, total: held.total };
      let total = 0;
      for (const line of lines) {
        const item = items.find((i) => i.sku === line.sku);
        if (!item) return { ok: false, reason: `unknown sku ${line.sku}` };
        if (item.available < line.qty) return { ok: false, reason: `out of stock: ${line.sku}` };
        total += item.price * line.qty;
      }
      // Checked every line first, so a refused order leaves the stock untouched.
      for (const line of lines) {
        const item = items.find((i) => i.sku === line.sku);
        if (item) {
          item.available -= line.qty;
          item.reserved += line.qty;
        }
      }
      reservations.push({ orderId: input.orderId, lines, total });
      return { ok: true, total };
    },

    /** Gives an order's reserved stock back (compensation). Releasing twice is a no-op. */
    release(ctx, input: { orderId: string }): { released: boolean } {
      const reservation = take(ctx.state.reservations, input.orderId);
      for (const line of reservation?.lines ?? []) {
        const item = ctx.state.items.find((i) => i.sku === line.sku);
        if (item) {
          item.reserved -= line.qty;
          item.available += line.qty;
        }
      }
      return { released: reservation !== undefined };
    },

    /** Turns an order's reservation into shipped stock. */
    fulfil(ctx, input: { orderId: string }): { fulfilled: boolean } {
      const reservation = take(ctx.state.reservations, input.orderId);
      for (const line of reservation?.lines ?? []) {
        const item = ctx.state.items.find((i) => i.sku === line.sku);
        if (item) {
          item.reserved -= line.qty;
          item.shipped += line.qty;
        }
      }
      return { fulfilled: reservation !== undefined };
    },

    /** Adds stock (and a new sku when it has a price). */
    restock(ctx, input: { sku: string; qty: number; price?: number }): StockItem {
      const { sku, qty, price } = input ?? {};
      if (typeof sku !== "string" || !SKU.test(sku))
        throw new InvalidInputError(`sku must match ${SKU}, got ${JSON.stringify(sku)}`);
      if (!Number.isInteger(qty) || qty < 1)
        throw new InvalidInputError(`qty must be a positive integer, got ${JSON.stringify(qty)}`);
      let item = ctx.state.items.find((i) => i.sku === sku);
      if (!item) {
        if (!Number.isInteger(price) || (price ?? 0) < 0)
          throw new InvalidInputError(`a new sku needs an integer price in cents`);
        item = { sku, price: price ?? 0, available: 0, reserved: 0, shipped: 0 };
        ctx.state.items.push(item);
      }
      item.available += qty;
      return item;
    },

    stock(ctx): StockItem[] {
      return ctx.state.items;
    },
  },
});

/** At most 20 lines of 1-100 units each, skus like "book": an order is bounded like any state. */
export function checkLines(lines: unknown): Line[] {
  if (!Array.isArray(lines) || lines.length < 1 || lines.length > 20) {
    throw new InvalidInputError("lines must be 1 to 20 { sku, qty } items");
  }
  return lines.map((line: Partial<Line> | null) => {
    const sku = line?.sku;
    const qty = line?.qty;
    if (typeof sku !== "string" || !SKU.test(sku))
      throw new InvalidInputError(`sku must match ${SKU}, got ${JSON.stringify(sku)}`);
    if (!Number.isInteger(qty) || qty === undefined || qty < 1 || qty > 100) {
      throw new InvalidInputError(`qty must be an integer from 1 to 100, got ${JSON.stringify(qty)}`);
    }
    return { sku, qty };
  });
}

function take(reservations: Reservation[], orderId: string): Reservation | undefined {
  const index = reservations.findIndex((r) => r.orderId === orderId);
  return index < 0 ? undefined : reservations.splice(index, 1)[0];
}
