import { beforeAll, describe, expect, test } from "bun:test";
import { createAwsPorts } from "../../runtime/adapters/aws/create-aws-ports.ts";
import { MIGRATE_BATCH_MAX } from "../../runtime/adapters/aws/invoke-event.ts";
import { createLambdaHandler } from "../../runtime/adapters/aws/lambda.ts";
import { actor } from "../../runtime/core/actor.ts";
import { Fabric } from "../../runtime/core/fabric.ts";
import {
  emulatorClients,
  freshQueues,
  sharedTables,
  testSettings,
  uniquePrefix,
} from "../support/aws-fabric.ts";
import { lambdaContext } from "./lambda-support.ts";

type NoteV1 = { text: string };

const noteV1 = actor("note", {
  state: (): NoteV1 => ({ text: "" }),
  handlers: {
    write(ctx, input: { text: string }) {
      ctx.state.text = input.text;
    },
  },
});

const noteV2 = actor("note", {
  state: () => ({ text: "", words: 0 }),
  schema: 2,
  migrate: { 2: (old: NoteV1) => ({ text: old.text, words: old.text.split(" ").length }) },
  handlers: { get: (ctx) => ctx.state },
});

beforeAll(() => Promise.all([emulatorClients(), sharedTables()]), 60_000);

async function setup() {
  const clients = await emulatorClients();
  const settings = await testSettings(await freshQueues("migrate", { delayQueue: false }));
  const ports = createAwsPorts({ settings, clients, deadLetterWaitSeconds: 0 });
  const lines: string[] = [];
  const handler = createLambdaHandler([noteV2], { ports, write: (line) => lines.push(line) });
  const seed = new Fabric({ ports, actors: [noteV1], owner: "seed" });
  const id = () => `note-${uniquePrefix("m")}`;
  return { ports, handler, seed, id, lines };
}

describe("the durable.migrate event", () => {
  test("migrates each actor of the batch through a fenced turn and answers per actor, in order; a batch sent again migrates nothing twice", async () => {
    const { ports, handler, seed, id, lines } = await setup();
    const [behind, current, never] = [id(), id(), id()];
    await seed.invoke({ actorId: behind, handler: "write", input: { text: "one two three" } });
    await seed.invoke({ actorId: current, handler: "write", input: { text: "x" } });
    await new Fabric({ ports, actors: [noteV2], owner: "pre" }).migrate(current);
    const event = {
      type: "durable.migrate" as const,
      actors: [
        { actorId: behind },
        { actorId: current, actorType: "note" },
        { actorId: never },
        { actorId: "bad id" },
      ],
    };
    const first = await handler(event, lambdaContext());
    if (!first.ok) throw new Error(first.error.message);
    expect(first.results.map((r) => [r.actorId, r.status])).toEqual([
      [behind, "migrated"],
      [current, "current"],
      [never, "absent"],
      ["bad id", "error"],
    ]);
    expect(first.results[3]).toMatchObject({ error: { code: "INVALID_ACTOR_ID" } });
    expect(await ports.store.read(behind)).toMatchObject({ version: 2, schema: 2, state: { words: 3 } });
    const again = await handler(event, lambdaContext());
    if (!again.ok) throw new Error(again.error.message);
    expect(again.results.map((r) => r.status)).toEqual(["current", "current", "absent", "error"]);
    expect((await ports.store.read(behind))?.version).toBe(2);
    const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.message === "migrate");
    expect(logged[0]).toMatchObject({ actors: 4, migrated: 1, current: 1, absent: 1, error: 1 });
  });

  test(`an empty batch or one over ${MIGRATE_BATCH_MAX} actors is refused with INVALID_INPUT`, async () => {
    const { handler } = await setup();
    for (const actors of [
      [],
      Array.from({ length: MIGRATE_BATCH_MAX + 1 }, (_, i) => ({ actorId: `note-${i}` })),
    ]) {
      const reply = await handler({ type: "durable.migrate", actors }, lambdaContext());
      expect(reply).toMatchObject({ ok: false, error: { code: "INVALID_INPUT" } });
    }
  });

  test("near the function's timeout nothing more is started: the rest is answered skipped, unwritten", async () => {
    const { ports, handler, seed, id } = await setup();
    const behind = id();
    await seed.invoke({ actorId: behind, handler: "write", input: { text: "late" } });
    const reply = await handler(
      { type: "durable.migrate", actors: [{ actorId: behind }] },
      lambdaContext(2_000),
    );
    expect(reply).toMatchObject({ ok: true, results: [{ actorId: behind, status: "skipped" }] });
    expect(await ports.store.read(behind)).toMatchObject({ version: 1, schema: 1 });
  });
});
