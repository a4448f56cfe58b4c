import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { inventory } from "../actors/inventory.ts";
import { order } from "../actors/order.ts";
import { payment } from "../actors/payment.ts";
import type { JsonValue } from "../durable/index.ts";
import { createTestFabric, type TestFabric } from "../durable/testing.ts";
import { carrier } from "../lib/carrier.ts";
import { paymentGateway } from "../lib/payment-gateway.ts";

/**
 * Crashes between workflow steps, then the same message delivered again: the workflow resumes and
 * ends exactly where a run without the crash ends, with one charge.
 */
const place = {
  actorId: "order-1",
  handler: "place",
  input: { lines: [{ sku: "book", qty: 2 }] },
  messageId: "place-1",
};
const ACTORS = ["order-1", "inventory-main", "payment-order-1"];

let fabrics: TestFabric[] = [];
const newFabric = () => {
  paymentGateway.reset();
  carrier.reset();
  const fabric = createTestFabric({ actors: [order, inventory, payment] });
  fabrics.push(fabric);
  return fabric;
};
beforeEach(() => {
  fabrics = [];
});
afterEach(() => {
  for (const f of fabrics) f.close();
});

async function snapshot(fabric: TestFabric): Promise<Record<string, JsonValue>> {
  const states: Record<string, JsonValue> = {};
  for (const id of ACTORS) states[id] = (await fabric.state(id))?.state ?? null;
  states.charges = paymentGateway.charges().map((c) => ({ ...c }));
  return states;
}

async function crashFreeRun(): Promise<Record<string, JsonValue>> {
  const fabric = newFabric();
  await fabric.invoke(place);
  return snapshot(fabric);
}

describe("order-processing recovery", () => {
  test("a charge whose response was lost is retried with the same idempotency key: one charge, same end state", async () => {
    const expected = await crashFreeRun();
    const fabric = newFabric();
    paymentGateway.loseNextResponses(1);
    await expect(fabric.invoke(place)).rejects.toThrow("payment gateway timed out");
    // The card was charged although the workflow crashed; the order itself committed nothing.
    expect(paymentGateway.charges()).toHaveLength(1);
    expect(await fabric.state("order-1")).toBeNull();

    const retried = await fabric.invoke(place);
    expect(retried.result).toMatchObject({ status: "shipped", chargeId: "ch_1" });
    const [key, ...rest] = paymentGateway.requests();
    expect(rest).toEqual([key]);
    expect(paymentGateway.charges()).toHaveLength(1);
    expect(await snapshot(fabric)).toEqual(expected);
  });

  test("a crash after the charge resumes when the queue redelivers the message: the gateway is asked once", async () => {
    const expected = await crashFreeRun();
    const fabric = newFabric();
    carrier.failNextRequests(1);
    await fabric.invoke({ ...place, mode: "async" });
    await fabric.drain();
    expect(carrier.requests()).toHaveLength(2);
    expect(paymentGateway.requests()).toHaveLength(1);
    expect(paymentGateway.charges()).toHaveLength(1);
    expect(await snapshot(fabric)).toEqual(expected);
    expect(await fabric.deadLetters()).toEqual([]);
  });

  test("the same message delivered after the workflow finished returns the stored result", async () => {
    const fabric = newFabric();
    const first = await fabric.invoke(place);
    const again = await fabric.invoke(place);
    expect(again).toMatchObject({ duplicate: true, result: first.result });
    expect(paymentGateway.requests()).toHaveLength(1);
  });

  test("a workflow that keeps failing is dead-lettered and the order parked, with no second charge", async () => {
    const fabric = createTestFabric({ actors: [order, inventory, payment], maxReceives: 3 });
    fabrics.push(fabric);
    paymentGateway.reset();
    carrier.reset();
    carrier.failNextRequests(10);
    await fabric.invoke({ ...place, mode: "async" });
    await fabric.drain();
    expect((await fabric.state("order-1"))?.parked).toMatchObject({ handler: "place" });
    expect(await fabric.deadLetters("order-1")).toHaveLength(1);
    expect(paymentGateway.charges()).toHaveLength(1);
  });
});
