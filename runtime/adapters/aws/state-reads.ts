import {
  BatchGetItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { StoreUnavailableError } from "../../core/errors.ts";
import type { StrandedActor, WaitingPage } from "../../ports/actor-store.ts";
import { TABLES } from "./config.ts";
import { storeError } from "./errors.ts";
import { type Item, num, readNumber, readString, str } from "./json-attributes.ts";
import { decodeHeld, STATE_META, stateKey, WAIT_PREFIX } from "./state-items.ts";

/** BatchGetItem reads at most 100 keys per request. */
const KEYS_PER_READ = 100;
/** A batch read whose keys DynamoDB left unprocessed (throttling) is asked again this often. */
const READ_ATTEMPTS = 5;

/** Consistent reads of up to 100 keys a request, asking again for what DynamoDB left unprocessed. */
export async function batchGetConsistent(
  client: DynamoDBClient,
  table: string,
  keys: readonly Item[],
  what: string,
): Promise<Item[]> {
  const found: Item[] = [];
  for (let i = 0; i < keys.length; i += KEYS_PER_READ) {
    let pending: Item[] = keys.slice(i, i + KEYS_PER_READ);
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > READ_ATTEMPTS)
        throw new StoreUnavailableError(`${what}: DynamoDB kept ${pending.length} keys unprocessed`);
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 5 * 2 ** attempt * Math.random()));
      try {
        const result = await client.send(
          new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }),
        );
        found.push(...(result.Responses?.[table] ?? []));
        pending = result.UnprocessedKeys?.[table]?.Keys ?? [];
      } catch (error) {
        throw storeError(error, what);
      }
    }
  }
  return found;
}

/** Each shard of the sparse stranded index, queried in parallel (eventually consistent: a sweep is a second chance). */
export async function listStranded(
  client: DynamoDBClient,
  table: string,
  before: number,
  limit: number,
): Promise<StrandedActor[]> {
  const { strandedIndex } = TABLES.state;
  const shards = Array.from({ length: strandedIndex.shards }, (_, i) => `s${i.toString(16)}`);
  try {
    const pages = await Promise.all(
      shards.map((shard) =>
        client.send(
          new QueryCommand({
            TableName: table,
            IndexName: strandedIndex.name,
            KeyConditionExpression: "#shard = :shard AND #since <= :before",
            ExpressionAttributeNames: {
              "#shard": strandedIndex.partitionKey,
              "#since": strandedIndex.sortKey,
            },
            ExpressionAttributeValues: { ":shard": str(shard), ":before": num(before) },
            Limit: Math.max(1, limit),
          }),
        ),
      ),
    );
    const found: StrandedActor[] = [];
    for (const item of pages.flatMap((page) => page.Items ?? [])) {
      const actorId = readString(item, TABLES.state.partitionKey);
      const actorType = readString(item, "actorType");
      if (actorId && actorType) found.push({ actorId, actorType });
    }
    return found.slice(0, limit);
  } catch (error) {
    throw storeError(error, "listing stranded actors");
  }
}

/** One consistent Query of the items after the state item's key range: `wait#…`, in order. */
export async function queryWaiting(
  client: DynamoDBClient,
  stateTable: string,
  actorId: string,
  limit: number,
): Promise<WaitingPage> {
  try {
    const result = await client.send(
      new QueryCommand({
        TableName: stateTable,
        KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
        ExpressionAttributeNames: { "#pk": TABLES.state.partitionKey, "#sk": TABLES.state.sortKey },
        ExpressionAttributeValues: { ":pk": str(actorId), ":prefix": str(WAIT_PREFIX) },
        ConsistentRead: true,
        // A message split into parts takes several items; the parts of a message cut off here are left for the next turn.
        Limit: Math.max(1, limit),
      }),
    );
    const items = result.Items ?? [];
    const held = await decodeHeld(items);
    const heldItems = held.reduce((n, h) => n + (h.parts ?? 1), 0);
    return { held, complete: result.LastEvaluatedKey === undefined && heldItems === items.length };
  } catch (error) {
    throw storeError(error, `reading the waiting messages of ${actorId}`);
  }
}

/** The version and large-state key of an actor's record (null: never committed), for the orphan sweep. */
export async function readVersionAndRef(
  client: DynamoDBClient,
  stateTable: string,
  actorId: string,
): Promise<{ version: number; stateRef: string | undefined } | null> {
  try {
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: stateTable,
        Key: stateKey(actorId),
        ConsistentRead: true,
        ProjectionExpression: "#version, #ref",
        ExpressionAttributeNames: { "#version": "version", "#ref": STATE_META.stateRef },
      }),
    );
    const version = readNumber(Item, "version");
    return version === undefined ? null : { version, stateRef: readString(Item, STATE_META.stateRef) };
  } catch (error) {
    throw storeError(error, `reading the record of ${actorId}`);
  }
}
