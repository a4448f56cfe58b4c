import { describe, expect, test } from "bun:test";
import { Fabric } from "../../runtime/core/fabric.ts";
import { migrateState } from "../../runtime/core/migrations.ts";
import type { TurnLogEntry } from "../../runtime/core/turn.ts";
import { actor, client } from "../../runtime/index.ts";
import { createTestFabric } from "../../runtime/testing.ts";

type V1 = { name: string };
type V2 = { first: string; last: string };
type V3 = { first: string; last: string; tags: string[] };

// The migrate map's types are checked by `tsc` in CI: each @ts-expect-error below fails the
// typecheck if the compiler stops refusing that definition. The definitions also run for real.
const person = actor("person", {
  state: (): V3 => ({ first: "", last: "", tags: [] }),
  schema: 3,
  migrate: {
    2: (old: V1): V2 => {
      const [first = "", last = ""] = old.name.split(" ");
      return { first, last };
    },
    3: (old: V2) => ({ ...old, tags: [] as string[] }),
  },
  handlers: {
    // The handlers see the latest shape.
    tag(ctx, input: { tag: string }) {
      ctx.state.tags.push(input.tag);
      return `${ctx.state.first} ${ctx.state.last}: ${ctx.state.tags.join(",")}`;
    },
  },
});

describe("migrate types", () => {
  test("the latest migration must return the state type, and each takes what the previous returns", () => {
    expect(person.schema).toBe(3);
    expect(() =>
      actor("wrong-result", {
        state: () => ({ first: "", last: "" }),
        schema: 2,
        migrate: {
          // @ts-expect-error migrate[2] returns a V1, not the state type
          2: (old: V1) => ({ ...old }),
        },
        handlers: { get: (ctx) => ctx.state.first },
      }),
    ).not.toThrow();
    expect(() =>
      actor("wrong-chain", {
        state: (): V3 => ({ first: "", last: "", tags: [] }),
        schema: 3,
        migrate: {
          // @ts-expect-error migrate[3] takes a V2, but migrate[2] returns something else
          2: (old: V1) => ({ name: old.name, other: 1 }),
          3: (old: V2) => ({ ...old, tags: [] as string[] }),
        },
        handlers: { get: (ctx) => ctx.state.first },
      }),
    ).not.toThrow();
  });

  test("a schema without the migration to it, or a migration past the schema, is refused when the actor is defined", () => {
    expect(() =>
      actor("missing", {
        state: (): V3 => ({ first: "", last: "", tags: [] }),
        schema: 3,
        migrate: {
          // @ts-expect-error migrate[3] is missing (the chain from 2 leads nowhere)
          2: (old: V1): V2 => ({ first: old.name, last: "" }),
        },
        handlers: { get: (ctx) => ctx.state.first },
      }),
    ).toThrow('actor "missing": schema is 3 but migrate[3] is missing');
    expect(() =>
      actor("beyond", {
        state: () => ({ n: 0 }),
        // @ts-expect-error a migration needs a schema above 1
        migrate: { 2: (old: { n: number }) => old },
        handlers: { get: (ctx) => ctx.state.n },
      }),
    ).toThrow('actor "beyond": migrate[2] is not a schema from 2 to 1');
    expect(() => actor("zero", { state: () => ({}), schema: 0, handlers: { get: () => 1 } })).toThrow(
      "schema must be an integer from 1",
    );
  });
});

describe("migrateState", () => {
  test("runs each missing migration in order, on a copy of the stored state", () => {
    const stored = { name: "Ada Lovelace" };
    expect(migrateState(person, "person-1", stored, 1)).toEqual({ first: "Ada", last: "Lovelace", tags: [] });
    expect(migrateState(person, "person-1", { first: "A", last: "B" }, 2)).toEqual({
      first: "A",
      last: "B",
      tags: [],
    });
    expect(stored).toEqual({ name: "Ada Lovelace" });
  });

  test("a migration returning something that is not a state object fails, naming it", () => {
    const bad = actor("bad", {
      state: () => ({ n: 0 }),
      schema: 2,
      // @ts-expect-error an array is no state
      migrate: { 2: () => [1, 2] },
      handlers: { get: (ctx) => ctx.state.n },
    });
    expect(() => migrateState(bad, "bad-1", { n: 1 }, 1)).toThrow(
      "migrate[2] of bad returned an array for bad-1, not a state object",
    );
  });

  test("a stored schema ahead of the code is refused", () => {
    expect(() => migrateState(person, "person-1", {}, 4)).toThrow(
      "person-1 was written by schema 4 of person; this code knows schema 3",
    );
  });
});

test("the turn log says when a turn committed a migration", async () => {
  const entries: TurnLogEntry[] = [];
  const v1 = actor("person", {
    state: (): V1 => ({ name: "" }),
    handlers: {
      set(ctx, input: { name: string }) {
        ctx.state.name = input.name;
      },
    },
  });
  const old = createTestFabric({ actors: [v1] });
  try {
    await client(v1, old).get("person-1").set({ name: "Grace Hopper" });
    const fabric = new Fabric({ ports: old.ports, actors: [person], onTurn: (e) => entries.push(e) });
    expect(await client(person, fabric).get("person-1").tag({ tag: "navy" })).toBe("Grace Hopper: navy");
    expect(entries.at(-1)).toMatchObject({ outcome: "committed", migrated: { from: 1, to: 3 } });
  } finally {
    old.close();
  }
});
