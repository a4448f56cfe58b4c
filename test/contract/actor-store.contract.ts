import { describe } from "bun:test";
import { commitCases } from "./actor-store-commits.cases.ts";
import { graceCases } from "./actor-store-grace.cases.ts";
import { leaseCases } from "./actor-store-leases.cases.ts";
import type { MakeActorStore } from "./actor-store-support.ts";
import { waitingCases } from "./actor-store-waiting.cases.ts";
import { useFixture } from "./contract-support.ts";

export type { ActorStoreFixture, MakeActorStore } from "./actor-store-support.ts";

/**
 * The ActorStore contract (DESIGN §2.1-2.3, 2.9): every backend runs these very cases.
 * `makeStore` is called once per case; cases use fresh actor ids, so a store may be shared.
 * @example actorStoreContract("local", async () => ({ store, cleanup: async () => {} }));
 */
export function actorStoreContract(backend: string, makeStore: MakeActorStore): void {
  describe(`ActorStore contract [${backend}]`, () => {
    const fixture = useFixture(makeStore);
    leaseCases(backend, fixture);
    commitCases(backend, fixture);
    waitingCases(backend, fixture);
    graceCases(backend, fixture);
  });
}
