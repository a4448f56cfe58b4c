import { describe, expect, test } from "bun:test";
import type { StepStore } from "../../runtime/ports/step-store.ts";
import { uniqueId, useFixture } from "./contract-support.ts";

export interface StepStoreFixture {
  steps: StepStore;
  cleanup(): Promise<void>;
}

/**
 * The StepStore contract (DESIGN §2.7): a step's outcome is recorded once and the first record wins.
 * @example stepStoreContract("local", async () => ({ steps, cleanup: async () => {} }));
 */
export function stepStoreContract(backend: string, makeSteps: () => Promise<StepStoreFixture>): void {
  const name = (what: string) => `${what} [${backend}]`;

  describe(`StepStore contract [${backend}]`, () => {
    const fixture = useFixture(makeSteps);

    test(name("lists no steps for a run that recorded none"), async () => {
      expect((await fixture().steps.list(uniqueId("wf"), "run-1")).size).toBe(0);
    });

    test(name("records a step and lists it under its key"), async () => {
      const { steps } = fixture();
      const actorId = uniqueId("wf");
      const step = { key: "charge", result: { receipt: "r-1" }, at: 1000 };
      expect(await steps.record(actorId, "run-1", step)).toEqual(step);
      const listed = await steps.list(actorId, "run-1");
      expect([...listed.keys()]).toEqual(["charge"]);
      expect(listed.get("charge")).toEqual(step);
    });

    test(
      name("keeps the first record of a key: a second record returns the first and changes nothing"),
      async () => {
        const { steps } = fixture();
        const actorId = uniqueId("wf");
        const first = { key: "charge", result: { receipt: "first" }, at: 1000 };
        await steps.record(actorId, "run-1", first);
        const second = await steps.record(actorId, "run-1", {
          key: "charge",
          result: { receipt: "second" },
          at: 2000,
        });
        expect(second).toEqual(first);
        expect((await steps.list(actorId, "run-1")).get("charge")).toEqual(first);
      },
    );

    test(
      name("lets exactly one of several concurrent records of a key win, and all see the winner"),
      async () => {
        const { steps } = fixture();
        const actorId = uniqueId("wf");
        const attempts = [1, 2, 3, 4, 5].map((n) =>
          steps.record(actorId, "run-1", { key: "ship", result: n, at: n }),
        );
        const results = await Promise.all(attempts);
        expect(new Set(results.map((result) => JSON.stringify(result))).size).toBe(1);
        expect((await steps.list(actorId, "run-1")).get("ship")).toEqual(results[0]);
      },
    );

    test(name("keeps runs and actors apart"), async () => {
      const { steps } = fixture();
      const one = uniqueId("wf");
      const two = uniqueId("wf");
      await steps.record(one, "run-1", { key: "a", result: "one/run-1", at: 1 });
      await steps.record(one, "run-2", { key: "a", result: "one/run-2", at: 2 });
      await steps.record(two, "run-1", { key: "a", result: "two/run-1", at: 3 });
      expect((await steps.list(one, "run-1")).get("a")?.result).toBe("one/run-1");
      expect((await steps.list(one, "run-2")).get("a")?.result).toBe("one/run-2");
      expect((await steps.list(two, "run-1")).get("a")?.result).toBe("two/run-1");
    });

    test(name("records a null result and several steps of one run"), async () => {
      const { steps } = fixture();
      const actorId = uniqueId("wf");
      await steps.record(actorId, "run-1", { key: "reserve", result: null, at: 1 });
      await steps.record(actorId, "run-1", { key: "charge", result: [1, "two", { three: 3 }], at: 2 });
      const listed = await steps.list(actorId, "run-1");
      expect(listed.get("reserve")).toEqual({ key: "reserve", result: null, at: 1 });
      expect(listed.get("charge")?.result).toEqual([1, "two", { three: 3 }]);
      expect(listed.size).toBe(2);
    });
  });
}
