import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { inventory } from "../actors/inventory.ts";
import { order } from "../actors/order.ts";
import { payment } from "../actors/payment.ts";
import { client } from "../durable/index.ts";
import { createTestFabric, type TestFabric } from "../durable/testing.ts";
import { carrier, UNDELIVERABLE_ADDRESS } from "../lib/carrier.ts";
import { DECLINED_CARD, paymentGateway } from "../lib/payment-gateway.ts";

let fabric: TestFabric;
beforeEach(() => {
  paymentGateway.reset();
  carrier.reset();
  fabric = createTestFabric({ actors: [order, inventory, payment] });
});
afterEach(() => fabric.close());

const orders = () => client(order, fabric);
const stockOf = async (sku: string) =>
  (await client(inventory, fabric).get("inventory-main").stock()).find((i) => i.sku === sku);

describe("order-processing", () => {
  test("placing an order reserves stock, charges once, ships and fulfils", async () => {
    const placed = await orders()
      .get("order-1")
      .place({ lines: [{ sku: "book", qty: 2 }] });
    expect(placed).toMatchObject({
      status: "shipped",
      total: 3000,
      chargeId: "ch_1",
      trackingId: "trk_1",
      reason: null,
    });
    expect(placed.steps).toEqual(["reserved", "charged", "shipped"]);
    expect(await stockOf("book")).toMatchObject({ available: 8, reserved: 0, shipped: 2 });
    expect(paymentGateway.charges()).toEqual([expect.objectContaining({ amount: 3000, refunded: false })]);
    expect((await fabric.state("payment-order-1"))?.state).toMatchObject({
      status: "charged",
      chargeId: "ch_1",
    });
  });

  test("status reports a new order and then the placed one", async () => {
    expect(await orders().get("order-1").status()).toMatchObject({ orderId: "order-1", status: "new" });
    await orders()
      .get("order-1")
      .place({ lines: [{ sku: "mug", qty: 1 }] });
    expect(await orders().get("order-1").status()).toMatchObject({ status: "shipped", total: 800 });
  });

  test("an order for more than is in stock is rejected and nothing is charged", async () => {
    const placed = await orders()
      .get("order-1")
      .place({
        lines: [
          { sku: "book", qty: 1 },
          { sku: "poster", qty: 1 },
        ],
      });
    expect(placed).toMatchObject({ status: "rejected", reason: "out of stock: poster", steps: [] });
    expect(paymentGateway.requests()).toHaveLength(0);
    expect(await stockOf("book")).toMatchObject({ available: 10, reserved: 0 });
  });

  test("a declined card releases the reserved stock", async () => {
    const placed = await orders()
      .get("order-1")
      .place({ lines: [{ sku: "mug", qty: 3 }], card: DECLINED_CARD });
    expect(placed).toMatchObject({
      status: "payment_declined",
      reason: "card_declined",
      steps: ["reserved", "released"],
    });
    expect(await stockOf("mug")).toMatchObject({ available: 5, reserved: 0, shipped: 0 });
    expect(paymentGateway.charges()).toHaveLength(0);
  });

  test("an undeliverable address refunds the charge and releases the stock", async () => {
    const placed = await orders()
      .get("order-1")
      .place({ lines: [{ sku: "book", qty: 1 }], address: UNDELIVERABLE_ADDRESS });
    expect(placed).toMatchObject({ status: "cancelled", reason: "undeliverable address" });
    expect(placed.steps).toEqual(["reserved", "charged", "refunded", "released"]);
    expect(paymentGateway.charges()).toEqual([expect.objectContaining({ chargeId: "ch_1", refunded: true })]);
    expect((await fabric.state("payment-order-1"))?.state).toMatchObject({ status: "refunded" });
    expect(await stockOf("book")).toMatchObject({ available: 10, reserved: 0, shipped: 0 });
  });

  test("placing an order again reports its outcome without charging again", async () => {
    const first = await orders()
      .get("order-1")
      .place({ lines: [{ sku: "book", qty: 1 }] });
    const again = await orders()
      .get("order-1")
      .place({ lines: [{ sku: "book", qty: 5 }] });
    expect(again).toEqual(first);
    expect(paymentGateway.requests()).toHaveLength(1);
    expect(await stockOf("book")).toMatchObject({ shipped: 1 });
  });

  test("more orders than stock: exactly the stock is sold, the rest are rejected", async () => {
    const placed = [];
    for (let i = 1; i <= 7; i++)
      placed.push(
        await orders()
          .get(`order-${i}`)
          .place({ lines: [{ sku: "mug", qty: 1 }] }),
      );
    expect(placed.filter((o) => o.status === "shipped")).toHaveLength(5);
    expect(placed.filter((o) => o.status === "rejected")).toHaveLength(2);
    expect(await stockOf("mug")).toMatchObject({ available: 0, reserved: 0, shipped: 5 });
    expect(paymentGateway.charges()).toHaveLength(5);
  });

  test("a finished order publishes order.finished with its outcome", async () => {
    await orders()
      .get("order-1")
      .place({ lines: [{ sku: "book", qty: 1 }] });
    const signals = await fabric.ports.signals.recent();
    expect(signals.map((s) => [s.type, s.source])).toEqual([["order.finished", "order-1"]]);
    expect(signals[0]?.detail).toMatchObject({ status: "shipped" });
  });

  test("bad lines are refused before anything is reserved", async () => {
    await expect(
      orders()
        .get("order-1")
        .place({ lines: [{ sku: "book", qty: 0 }] }),
    ).rejects.toThrow("qty must be an integer");
    await expect(orders().get("order-1").place({ lines: [] })).rejects.toThrow("lines must be 1 to 20");
    expect(await fabric.state("order-1")).toBeNull();
    expect(await fabric.state("inventory-main")).toBeNull();
  });

  test("restock adds units and new skus", async () => {
    const stock = client(inventory, fabric).get("inventory-main");
    await stock.restock({ sku: "poster", qty: 2 });
    await stock.restock({ sku: "pen", qty: 3, price: 150 });
    expect(
      await orders()
        .get("order-1")
        .place({
          lines: [
            { sku: "poster", qty: 2 },
            { sku: "pen", qty: 1 },
          ],
        }),
    ).toMatchObject({
      status: "shipped",
      total: 2550,
    });
  });
});
