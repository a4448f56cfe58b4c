/**
 * `durable state list --stage` on emulators: the fleet index on DynamoDB Local, read by the CLI in
 * process through the stage's endpoint, whose wire-level request log shows every DynamoDB request.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CreateTableCommand, DeleteTableCommand, waitUntilTableExists } from "@aws-sdk/client-dynamodb";
import { TABLES } from "../../runtime/adapters/aws/config.ts";
import { emulatorClients, uniquePrefix } from "../support/aws-fabric.ts";
import { type FleetStage, openFleetStage, STAGE } from "./fleet-stage-fixture.ts";

/** Browsers and emulators on a shared 2-core machine: generous, so a slow moment is not a failure. */
const TEST_TIMEOUT_MS = 30_000;

let stage: FleetStage;

interface Listed {
  actors: {
    actorId: string;
    actorType: string;
    version: number;
    parked: boolean;
    waiting: number;
    updatedAt: string;
  }[];
  next: string | null;
}

/**
 * The order the fleet index promises, from the records themselves: parked first, then by type, the
 * newest hour first, then by id (actors committed either side of an hour's turn swap places).
 */
async function fleetOrder(ids: string[]): Promise<string[]> {
  const keyed = await Promise.all(
    ids.map(async (id) => {
      const record = await stage.ports.store.read(id);
      const hour = Math.floor((record?.updatedAt ?? 0) / 3_600_000);
      return { id, key: [record?.parked ? 0 : 1, record?.actorType ?? "", -hour] as const };
    }),
  );
  return keyed
    .sort(
      (a, b) =>
        a.key[0] - b.key[0] ||
        a.key[1].localeCompare(b.key[1]) ||
        a.key[2] - b.key[2] ||
        a.id.localeCompare(b.id),
    )
    .map((k) => k.id);
}

beforeAll(async () => {
  stage = await openFleetStage("fleet-stage");
  for (const id of ["counter-1", "counter-2", "counter-3", "counter-4"])
    await stage.call(id, "increment", { by: 1 });
  await stage.call("gauge-1", "record", { value: 3 });
  await stage.park("counter-2", "increment", { by: 1.5 }, [{ by: 2 }]);
  await stage.park("counter-4", "increment", { by: 1.5 }, [{ by: 2 }]);
  // A parked actor of another type: the type filter must leave it out.
  await stage.park("gauge-2", "record", null, [{ value: 1 }]);
}, 60_000);
afterAll(() => stage?.close());

describe("durable state list on a stage", () => {
  test(
    "--type counter --parked --json returns exactly the parked counters, read through the fleet index without a Scan of State",
    async () => {
      stage.endpoint.dynamodbRequests.length = 0;
      const run = await stage.cli(["state", "list", "--type", "counter", "--parked", "--json"]);
      expect(run.stderr).toBe("");
      expect(run.exitCode).toBe(0);
      const listed = JSON.parse(run.stdout) as Listed;
      expect(listed.actors.map((a) => a.actorId)).toEqual(await fleetOrder(["counter-2", "counter-4"]));
      for (const actor of listed.actors) {
        const record = await stage.ports.store.read(actor.actorId);
        expect(actor).toMatchObject({
          actorType: "counter",
          parked: true,
          waiting: 1,
          version: record?.version,
        });
        expect(actor.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
      expect(listed.next).toBeNull();

      const requests = stage.endpoint.dynamodbRequests;
      expect(requests.filter((r) => r.operation === "Scan")).toEqual([]);
      const queries = requests.filter((r) => r.operation === "Query");
      expect(queries).toHaveLength(TABLES.state.fleetIndex.shards);
      expect(
        queries.every(
          (q) => q.index === TABLES.state.fleetIndex.name && q.table === stage.settings.stateTable,
        ),
      ).toBe(true);
      expect(requests.filter((r) => r.operation === "BatchGetItem")).toHaveLength(1);
      expect(requests).toHaveLength(TABLES.state.fleetIndex.shards + 1);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "pages with --limit: the human listing prints the command for the next page, and its cursor reaches every actor once",
    async () => {
      const first = await stage.cli(["state", "list", "--limit", "4"]);
      expect(first.exitCode).toBe(0);
      expect(first.stdout.split("\n")[0]).toMatch(
        /^ACTOR\s+TYPE\s+VERSION\s+LAST ACTIVE\s+PARKED\s+NEXT TIMER\s+WAITING/,
      );
      expect(first.stdout).toContain("PARKED");
      const more = /more: durable state list --stage ops --limit 4 --cursor (\S+)/.exec(first.stderr);
      expect(more).not.toBeNull();
      const second = await stage.cli([
        "state",
        "list",
        "--limit",
        "4",
        "--cursor",
        more?.[1] ?? "",
        "--json",
      ]);
      const rest = (JSON.parse(second.stdout) as Listed).actors.map((a) => a.actorId);
      const firstIds = first.stdout
        .split("\n")
        .slice(1)
        .filter(Boolean)
        .map((line) => line.split(/\s+/)[0]);
      expect([...firstIds, ...rest]).toEqual(
        await fleetOrder(["counter-1", "counter-2", "counter-3", "counter-4", "gauge-1", "gauge-2"]),
      );
      expect((JSON.parse(second.stdout) as Listed).next).toBeNull();
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "refuses a bad type, a bad limit and another listing's cursor before reading anything",
    async () => {
      stage.endpoint.dynamodbRequests.length = 0;
      const badType = await stage.cli(["state", "list", "--type", "Counter!"]);
      expect(badType.exitCode).toBe(1);
      expect(badType.stderr).toContain("is not an actor type name");
      const badLimit = await stage.cli(["state", "list", "--limit", "5000", "--json"]);
      expect(JSON.parse(badLimit.stdout)).toMatchObject({ error: { code: "INVALID_INPUT" } });
      expect(stage.endpoint.dynamodbRequests).toEqual([]);

      const page = JSON.parse(
        (await stage.cli(["state", "list", "--limit", "1", "--json"])).stdout,
      ) as Listed;
      const other = await stage.cli(["state", "list", "--parked", "--cursor", page.next ?? "", "--json"]);
      expect(JSON.parse(other.stdout)).toMatchObject({
        error: { code: "INVALID_INPUT", message: expect.stringContaining("other filters") },
      });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a stage whose State table predates the fleet index says to redeploy it",
    async () => {
      const { dynamodb } = await emulatorClients();
      const TableName = `${uniquePrefix("pre-fleet")}-state`;
      await dynamodb.send(
        new CreateTableCommand({
          TableName,
          KeySchema: [
            { AttributeName: "pk", KeyType: "HASH" },
            { AttributeName: "sk", KeyType: "RANGE" },
          ],
          AttributeDefinitions: [
            { AttributeName: "pk", AttributeType: "S" },
            { AttributeName: "sk", AttributeType: "S" },
          ],
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
      await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30 }, { TableName });
      try {
        const file = join(stage.root, ".durable", "stages", `${STAGE}.json`);
        const outputs = JSON.parse(readFileSync(file, "utf8"));
        mkdirSync(join(stage.root, ".durable", "stages"), { recursive: true });
        writeFileSync(
          join(stage.root, ".durable", "stages", "old.json"),
          JSON.stringify({ ...outputs, stage: "old", stateTable: TableName }),
        );
        const run = await stage.cli(["state", "list", "--json"], "old");
        expect(JSON.parse(run.stdout)).toMatchObject({
          error: {
            code: "FLEET_INDEX_MISSING",
            hint: expect.stringContaining("durable deploy --stage old"),
          },
        });
      } finally {
        await dynamodb.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
      }
    },
    TEST_TIMEOUT_MS,
  );
});
