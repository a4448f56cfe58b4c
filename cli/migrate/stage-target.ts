import { type AttributeValue, DescribeTableCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { TABLES } from "../../runtime/adapters/aws/config.ts";
import { STATE_SORT_KEY } from "../../runtime/adapters/aws/state-items.ts";
import type { EnvSource } from "../deploy/aws-environment.ts";
import { openStageClients } from "../deploy/stage-clients.ts";
import { guard, migrateOnStage } from "../deploy/stage-requests.ts";
import { CliError } from "../errors.ts";
import type { StageOutputs } from "../stage-target.ts";
import type { MigrationTarget } from "./target.ts";

/** On-demand price of a million read request units in us-east-1 (what the cost line quotes). */
const DOLLARS_PER_MILLION_RRU = 0.125;
/** A Scan reads 4 KB per read unit, half a unit when eventually consistent. */
const BYTES_PER_READ_UNIT = 8 * 1024;

/**
 * A deployed stage: the CLI scans the State table (state items only, projected to id, type and
 * schema; a Scan is charged for every item it reads all the same), and the stage's own function
 * migrates each batch with its code (a `durable.migrate` invoke).
 */
export function stageMigrationTarget(outputs: StageOutputs, env: EnvSource): MigrationTarget {
  const clients = openStageClients(outputs, env);
  const { dynamodb, lambda } = clients;
  const where = `stage ${outputs.stage}`;
  const { partitionKey: pk, sortKey: sk } = TABLES.state;
  return {
    description: clients.description,
    key: `stage-${outputs.stage}`,
    async estimate() {
      const { Table } = await guard(where, `describing ${outputs.stateTable}`, () =>
        dynamodb.send(new DescribeTableCommand({ TableName: outputs.stateTable })),
      );
      const items = Table?.ItemCount ?? 0;
      const bytes = Table?.TableSizeBytes ?? 0;
      const readUnits = Math.max(1, Math.ceil(bytes / BYTES_PER_READ_UNIT));
      const dollars = (readUnits / 1_000_000) * DOLLARS_PER_MILLION_RRU;
      return {
        items,
        bytes,
        readUnits,
        summary:
          `a Scan of ${outputs.stateTable}: about ${items} item(s), ${(bytes / 1024 / 1024).toFixed(1)} MB ` +
          `(DynamoDB's estimate, refreshed every ~6 hours), about ${readUnits} read units ` +
          `(≈ $${dollars.toFixed(dollars < 0.01 ? 4 : 2)} on demand at $${DOLLARS_PER_MILLION_RRU} per million)`,
      };
    },
    async scan(cursor, limit) {
      const result = await guard(where, `scanning ${outputs.stateTable}`, () =>
        dynamodb.send(
          new ScanCommand({
            TableName: outputs.stateTable,
            Limit: limit,
            FilterExpression: "#sk = :state",
            ProjectionExpression: "#pk, actorType, #schema",
            ExpressionAttributeNames: { "#pk": pk, "#sk": sk, "#schema": "schema" },
            ExpressionAttributeValues: { ":state": { S: STATE_SORT_KEY } },
            ReturnConsumedCapacity: "TOTAL",
            ...(cursor ? { ExclusiveStartKey: decodeCursor(cursor) } : {}),
          }),
        ),
      );
      return {
        actors: (result.Items ?? []).flatMap((item) => {
          const actorId = item[pk]?.S;
          if (!actorId) return [];
          const schema = Number(item.schema?.N ?? 1);
          return [{ actorId, actorType: item.actorType?.S ?? null, schema }];
        }),
        cursor: result.LastEvaluatedKey ? JSON.stringify(result.LastEvaluatedKey) : undefined,
        readUnits: result.ConsumedCapacity?.CapacityUnits ?? 0,
      };
    },
    migrate: (actors) => migrateOnStage(lambda, outputs.functionName, actors, outputs.stage),
    close: () => clients.destroy(),
  };
}

function decodeCursor(cursor: string): Record<string, AttributeValue> {
  try {
    return JSON.parse(cursor) as Record<string, AttributeValue>;
  } catch (cause) {
    throw new CliError("MIGRATE_CHECKPOINT_INVALID", "the saved scan position is not readable", {
      hint: "run durable migrate --restart to start the scan over",
      cause,
    });
  }
}
