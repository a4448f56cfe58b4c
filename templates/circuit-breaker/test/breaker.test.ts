import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { alerts } from "../actors/alerts.ts";
import { breaker } from "../actors/breaker.ts";
import { client } from "../durable/index.ts";
import { createTestFabric, type TestFabric } from "../durable/testing.ts";

let fabric: TestFabric;
beforeEach(async () => {
  fabric = createTestFabric({ actors: [breaker, alerts] });
  await payments().configure({ failureThreshold: 3, windowMs: 10_000, openMs: 30_000 });
});
afterEach(() => fabric.close());

const payments = () => client(breaker, fabric).get("breaker-payments");
const fail = () => payments().record({ ok: false });
async function openIt(): Promise<void> {
  for (let i = 0; i < 3; i++) await fail();
}

describe("circuit-breaker", () => {
  test("opens after the failure threshold within the window and refuses calls while open", async () => {
    await fail();
    await fail();
    expect(await payments().status()).toMatchObject({ status: "closed", recentFailures: 2 });
    expect(await fail()).toMatchObject({
      status: "open",
      opens: 1,
      halfOpenAt: new Date(fabric.clock.now() + 30_000).toISOString(),
    });
    expect(await payments().allow()).toEqual({ allowed: false, status: "open", retryAfterMs: 30_000 });
  });

  test("failures older than the window do not count", async () => {
    await fail();
    await fail();
    fabric.clock.advance(10_000);
    expect(await fail()).toMatchObject({ status: "closed", recentFailures: 1 });
  });

  test("an open circuit half-opens when its timer fires, not before", async () => {
    await openIt();
    await fabric.advance(29_999);
    expect(await payments().status()).toMatchObject({ status: "open" });
    await fabric.advance(1);
    expect(await payments().status()).toMatchObject({ status: "half-open" });
  });

  test("half-open lets one probe through; its success closes the circuit", async () => {
    await openIt();
    await fabric.advance(30_000);
    expect(await payments().allow()).toMatchObject({ allowed: true, status: "half-open" });
    expect(await payments().allow()).toMatchObject({ allowed: false, status: "half-open" });
    expect(await payments().record({ ok: true })).toMatchObject({ status: "closed", recentFailures: 0 });
    expect(await payments().allow()).toMatchObject({ allowed: true, status: "closed" });
  });

  test("a failed probe opens the circuit again, with a new timer", async () => {
    await openIt();
    await fabric.advance(30_000);
    await payments().allow();
    expect(await payments().record({ ok: false })).toMatchObject({ status: "open", opens: 2 });
    expect(Object.keys((await fabric.state("breaker-payments"))?.timers ?? {})).toEqual(["half-open"]);
    await fabric.advance(30_000);
    expect(await payments().status()).toMatchObject({ status: "half-open" });
  });

  test("a probe that never reports back does not keep the circuit half-open", async () => {
    await openIt();
    await fabric.advance(30_000);
    expect((await payments().allow()).allowed).toBe(true);
    fabric.clock.advance(30_000);
    expect((await payments().allow()).allowed).toBe(true);
  });

  test("call wraps a simulated downstream result", async () => {
    expect(await payments().call({ ok: true })).toEqual({ allowed: true, status: "closed", retryAfterMs: 0 });
    for (let i = 0; i < 2; i++) await payments().call({ ok: false });
    expect(await payments().call({ ok: false })).toMatchObject({ allowed: true, status: "open" });
    expect(await payments().call({ ok: true })).toMatchObject({ allowed: false, status: "open" });
  });

  test("signals circuit.opened, circuit.half-open and circuit.closed reach the alerts actor", async () => {
    await openIt();
    await fabric.advance(30_000);
    await payments().call({ ok: true });
    await fabric.drain();
    const events = await client(alerts, fabric).get("alerts-ops").latest();
    expect(events.map((e) => e.status).reverse()).toEqual(["open", "half-open", "closed"]);
    expect(events[0]).toMatchObject({ breaker: "breaker-payments", downstream: "payments" });
    const types = (await fabric.ports.signals.recent()).map((s) => s.type);
    expect(types).toEqual(["circuit.opened", "circuit.half-open", "circuit.closed"]);
  });

  test("reset closes an open circuit and its pending timer then does nothing", async () => {
    await openIt();
    expect(await payments().reset()).toMatchObject({ status: "closed" });
    await fabric.advance(60_000);
    expect(await payments().status()).toMatchObject({ status: "closed" });
    expect((await fabric.ports.signals.recent()).map((s) => s.type)).toEqual([
      "circuit.opened",
      "circuit.closed",
    ]);
  });

  test("every downstream has its own circuit", async () => {
    await openIt();
    expect(await client(breaker, fabric).get("breaker-search").allow()).toMatchObject({
      allowed: true,
      status: "closed",
    });
  });

  test("bad input is refused and changes nothing", async () => {
    const version = (await fabric.state("breaker-payments"))?.version;
    await expect(payments().record({ ok: "no" as unknown as boolean })).rejects.toThrow('{"ok": false}');
    await expect(payments().configure({ openMs: 5 })).rejects.toThrow("openMs must be an integer from 100");
    expect((await fabric.state("breaker-payments"))?.version).toBe(version);
  });
});
