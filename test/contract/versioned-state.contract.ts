import { describe, expect, test } from "bun:test";
import { actor } from "../../runtime/core/actor.ts";
import { Fabric } from "../../runtime/core/fabric.ts";
import type { JsonObject } from "../../runtime/core/json.ts";
import type { FabricPorts } from "../../runtime/ports/index.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import { uniqueId, useFixture } from "./contract-support.ts";
import { incompressible } from "./large-state.contract.ts";

export interface VersionedStateFixture {
  /** Every port of one backend, with large-state storage. */
  ports: FabricPorts;
  cleanup(): Promise<void>;
}

type ProfileV1 = { name: string; visits: number };
type ProfileV2 = { first: string; last: string; visits: number; tags: string[] };

/** Schema 1: what the code wrote before the shape changed. */
const profileV1 = actor("profile", {
  state: (): ProfileV1 => ({ name: "", visits: 0 }),
  handlers: {
    visit(ctx, input: { name: string }) {
      ctx.state.name = input.name;
      ctx.state.visits += 1;
      return { visits: ctx.state.visits };
    },
    get: (ctx) => ctx.state,
  },
});

/** Schema 2: the name is split; a stored name that cannot be split makes the migration throw. */
const profileV2 = actor("profile", {
  state: (): ProfileV2 => ({ first: "", last: "", visits: 0, tags: [] }),
  schema: 2,
  migrate: {
    2: (old: ProfileV1): ProfileV2 => {
      if (old.name === "boom") throw new Error(`cannot split "${old.name}"`);
      const space = old.name.indexOf(" ");
      const [first, last] =
        space < 0 ? [old.name, ""] : [old.name.slice(0, space), old.name.slice(space + 1)];
      return { first, last, visits: old.visits, tags: [] };
    },
  },
  handlers: {
    visit(ctx) {
      ctx.state.visits += 1;
      return ctx.state;
    },
    get: (ctx) => ctx.state,
  },
});

/**
 * Versioned state on a backend (issue 16): a stored state older than its code is migrated inside
 * the turn and commits with it; a read migrates in memory only; a state newer than the code is
 * refused with nothing written; a migration that throws parks the actor, naming the migration.
 */
export function versionedStateContract(backend: string, make: () => Promise<VersionedStateFixture>): void {
  describe(`versioned state [${backend}]`, () => {
    const fixture = useFixture(make);
    const name = (what: string) => `${what} [${backend}]`;
    const fabrics = () => {
      const { ports } = fixture();
      return {
        ports,
        v1: new Fabric({ ports, actors: [profileV1], owner: "v1" }),
        v2: new Fabric({ ports, actors: [profileV2], owner: "v2" }),
      };
    };
    const call = (fabric: Fabric, actorId: string, handler: string, input?: JsonObject) =>
      fabric.invoke({ actorId, actorType: "profile", handler, input, messageId: uniqueId("m") });
    const queued = (actorId: string, receiveCount: number): ActorMessage => ({
      id: `${actorId}:visit`,
      actorId,
      actorType: "profile",
      handler: "visit",
      kind: "send",
      receiveCount,
    });

    test(
      name("a stored schema-1 state is migrated on load and commits with the call, in one version"),
      async () => {
        const { ports, v1, v2 } = fabrics();
        const id = uniqueId("profile");
        await call(v1, id, "visit", { name: "Ada Lovelace" });
        const reply = await call(v2, id, "visit");
        expect(reply).toMatchObject({
          version: 2,
          result: { first: "Ada", last: "Lovelace", visits: 2, tags: [] },
        });
        expect(await ports.store.read(id)).toMatchObject({
          version: 2,
          schema: 2,
          state: { first: "Ada", last: "Lovelace", visits: 2, tags: [] },
        });
      },
    );

    test(name("a read-only call migrates in memory and writes nothing"), async () => {
      const { ports, v1, v2 } = fabrics();
      const id = uniqueId("profile");
      await call(v1, id, "visit", { name: "Grace Hopper" });
      const reply = await call(v2, id, "get");
      expect(reply).toMatchObject({ version: 1, result: { first: "Grace", last: "Hopper", visits: 1 } });
      expect(await ports.store.read(id)).toMatchObject({
        version: 1,
        schema: 1,
        state: { name: "Grace Hopper", visits: 1 },
      });
    });

    test(
      name("a record newer than the code is refused with SCHEMA_TOO_NEW and nothing is written"),
      async () => {
        const { ports, v1, v2 } = fabrics();
        const id = uniqueId("profile");
        await call(v1, id, "visit", { name: "Alan Turing" });
        await call(v2, id, "visit");
        const written = await ports.store.read(id);
        for (const handler of ["get", "visit"]) {
          await expect(call(v1, id, handler, { name: "x" })).rejects.toMatchObject({
            code: "SCHEMA_TOO_NEW",
            details: { stored: 2, code: 1 },
          });
        }
        // Even on its last permitted delivery a queued message neither runs nor parks: it is retried.
        const verdicts = await v1.applyBatch([queued(id, ports.queue.maxReceives)]);
        expect([...verdicts.values()]).toEqual(["retry"]);
        expect(await ports.store.read(id)).toEqual(written);
        expect(await v1.migrate(id)).toMatchObject({ status: "ahead", from: 2, to: 1 });
      },
    );

    test(
      name("a migration that throws fails a sync call and parks the actor, naming the migration"),
      async () => {
        const { ports, v1, v2 } = fabrics();
        const id = uniqueId("profile");
        await call(v1, id, "visit", { name: "boom" });
        const failure = await call(v2, id, "get").catch((e: unknown) => e);
        expect(failure).toMatchObject({
          code: "MIGRATION_FAILED",
          details: { migration: 2, from: 1, to: 2 },
        });
        expect(String((failure as Error).message)).toContain("migrate[2] of profile failed");
        expect(await ports.store.read(id)).toMatchObject({
          version: 2,
          schema: 1,
          state: { name: "boom", visits: 1 },
          parked: { handler: "get", error: { code: "MIGRATION_FAILED" }, deadLettered: false },
        });
        expect(await ports.queue.deadLetters(id)).toEqual([]);
      },
    );

    test(
      name(
        "a queued message meeting a failing migration follows the last-delivery rules: retried, then parked and dead-lettered",
      ),
      async () => {
        const { ports, v1, v2 } = fabrics();
        const id = uniqueId("profile");
        await call(v1, id, "visit", { name: "boom" });
        expect([...(await v2.applyBatch([queued(id, 1)])).values()]).toEqual(["retry"]);
        expect((await ports.store.read(id))?.parked).toBeNull();
        expect([...(await v2.applyBatch([queued(id, ports.queue.maxReceives)])).values()]).toEqual([
          "parked",
        ]);
        expect(await ports.store.read(id)).toMatchObject({
          schema: 1,
          parked: {
            messageId: `${id}:visit`,
            error: { code: "MIGRATION_FAILED", details: { migration: 2 } },
          },
        });
        const dead = await ports.queue.deadLetters(id);
        expect(dead.map((d) => d.message.id)).toEqual([`${id}:visit`]);
        expect(dead[0]?.reason).toContain("MIGRATION_FAILED");
      },
    );

    test(
      name(
        "Fabric.migrate commits a state behind once, then finds it current; absent and failed are told apart",
      ),
      async () => {
        const { ports, v1, v2 } = fabrics();
        const [behind, broken, never] = [uniqueId("profile"), uniqueId("profile"), uniqueId("profile")];
        await call(v1, behind, "visit", { name: "Barbara Liskov" });
        await call(v1, broken, "visit", { name: "boom" });
        expect(await v2.migrate(behind)).toMatchObject({ status: "migrated", from: 1, to: 2, version: 2 });
        expect(await v2.migrate(behind)).toMatchObject({ status: "current", from: 2, to: 2, version: 2 });
        expect(await ports.store.read(behind)).toMatchObject({
          version: 2,
          schema: 2,
          state: { last: "Liskov" },
        });
        expect(await v2.migrate(never)).toMatchObject({ status: "absent", from: null, version: 0 });
        expect(await v2.migrate(broken)).toMatchObject({
          status: "failed",
          from: 1,
          error: { code: "MIGRATION_FAILED" },
        });
        expect((await ports.store.read(broken))?.parked).toMatchObject({ handler: "$migrate" });
      },
    );

    test(name("a 1 MB state is migrated and committed as an object, and reads back whole"), async () => {
      const { ports, v1, v2 } = fabrics();
      const id = uniqueId("profile");
      const big = incompressible(1024 * 1024);
      await call(v1, id, "visit", { name: `${big} Large` });
      expect((await ports.store.read(id))?.stateRef).toStartWith(`state/${id}/1-`);
      expect(await v2.migrate(id)).toMatchObject({ status: "migrated", version: 2 });
      const record = await ports.store.read(id);
      expect(record).toMatchObject({ version: 2, schema: 2, state: { first: big, last: "Large" } });
      expect(record?.stateRef).toStartWith(`state/${id}/2-`);
    });
  });
}
