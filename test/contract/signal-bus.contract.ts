import { describe, expect, test } from "bun:test";
import type { Signal, SignalBus } from "../../runtime/ports/signal-bus.ts";
import { uniqueId, useFixture } from "./contract-support.ts";

export interface SignalBusFixture {
  bus: SignalBus;
  /**
   * The signals that reached an observer since the fixture was made, in arrival order (a local
   * read of the log, or a rule target queue on AWS). Without it, cases check only that publishing
   * succeeds.
   */
  published?: () => Promise<Signal[]>;
  cleanup(): Promise<void>;
}

/**
 * The SignalBus contract: signals are published whole and in order.
 * @example signalBusContract("local", async () => ({ bus, published, cleanup }));
 */
export function signalBusContract(backend: string, makeBus: () => Promise<SignalBusFixture>): void {
  const name = (what: string) => `${what} [${backend}]`;
  const signal = (source: string, n: number): Signal => ({
    id: uniqueId(`sig${n}`),
    source,
    type: n % 2 === 0 ? "counter.even" : "counter.odd",
    detail: { n, nested: { list: [n, `${n}`] } },
    at: 1_700_000_000_000 + n,
  });

  describe(`SignalBus contract [${backend}]`, () => {
    const fixture = useFixture(makeBus);
    const observed = async (source: string) =>
      ((await fixture().published?.()) ?? []).filter((received) => received.source === source);

    test(name("accepts an empty publish as a no-op"), async () => {
      const source = uniqueId("src");
      await fixture().bus.publish([]);
      expect(await observed(source)).toEqual([]);
    });

    test(name("publishes every signal of a batch with its source, type and detail intact"), async () => {
      const source = uniqueId("src");
      const batch = [1, 2, 3].map((n) => signal(source, n));
      await fixture().bus.publish(batch);
      if (!fixture().published) return;
      const received = await observed(source);
      for (const sent of batch) {
        expect(received.find((got) => got.id === sent.id)).toMatchObject({
          source: sent.source,
          type: sent.type,
          detail: sent.detail,
        });
      }
    });

    test(name("keeps the order of signals published one after another"), async () => {
      const source = uniqueId("src");
      const sent = [1, 2, 3, 4].map((n) => signal(source, n));
      for (const one of sent) await fixture().bus.publish([one]);
      if (!fixture().published) return;
      const ids = (await observed(source)).map((got) => got.id);
      expect(ids.filter((id) => sent.some((s) => s.id === id))).toEqual(sent.map((s) => s.id));
    });
  });
}
