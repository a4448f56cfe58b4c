import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { join } from "node:path";
import { openLocalPorts } from "../../runtime/adapters/local/index.ts";
import { SCHEMA_VERSION } from "../../runtime/adapters/local/schema.ts";
import { actor } from "../../runtime/core/actor.ts";
import { Fabric } from "../../runtime/core/fabric.ts";
import { tempDir } from "../support/temp-dir.ts";

const note = actor("note", {
  state: () => ({ text: "", words: 0 }),
  schema: 2,
  migrate: { 2: (old: { text: string }) => ({ text: old.text, words: old.text.split(" ").length }) },
  handlers: {
    get: (ctx) => ctx.state,
    touch(ctx) {
      ctx.state.words += 0.5;
    },
  },
});

test("a .durable/local.db from before schemas opens with its rows as schema 1, and they migrate", async () => {
  await using dir = tempDir("durable-upgrade-");
  const path = join(dir.path, "local.db");
  // The actors table as the previous release created it: no schema or state_ref column.
  const old = new Database(path, { create: true });
  old.run(`CREATE TABLE actors (
    actor_id TEXT PRIMARY KEY, actor_type TEXT, version INTEGER NOT NULL, state TEXT NOT NULL,
    timers TEXT NOT NULL, parked TEXT, outbox TEXT NOT NULL, updated_at INTEGER NOT NULL,
    waiting TEXT, waiting_count INTEGER NOT NULL DEFAULT 0) STRICT`);
  old.run(
    `INSERT INTO actors VALUES ('note-1', 'note', 3, '{"text":"one two three"}', '{}', NULL, '[]', 1, NULL, 0)`,
  );
  old.run("PRAGMA user_version = 4");
  old.close();

  using ports = openLocalPorts({ path, largeState: true });
  expect(await ports.store.read("note-1")).toMatchObject({
    version: 3,
    schema: 1,
    state: { text: "one two three" },
  });
  const fabric = new Fabric({ ports, actors: [note] });
  expect((await fabric.invoke({ actorId: "note-1", handler: "get" })).result).toEqual({
    text: "one two three",
    words: 3,
  });
  await fabric.invoke({ actorId: "note-1", handler: "touch" });
  expect(await ports.store.read("note-1")).toMatchObject({ version: 4, schema: 2, state: { words: 3.5 } });
  const check = new Database(path);
  expect(check.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version).toBe(
    SCHEMA_VERSION,
  );
  check.close();
});
