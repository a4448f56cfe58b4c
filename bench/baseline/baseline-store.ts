/**
 * The storage protocol Durable Lambda started from, kept as the benchmark's baseline: four
 * sequential DynamoDB requests per message.
 *   lock    = PutItem on the lock, conditional on it being absent or expired
 *   load    = consistent GetItem of the state
 *   save    = PutItem of the state, conditional on the version it loaded
 *   release = DeleteItem of the lock, conditional on still owning it
 * It uses the fabric's own State and Locks tables (same keys), so both designs run against the
 * same DynamoDB with the same latency. Like the design it stands for, it keeps no processed-message
 * markers: a redelivered message is applied again. That makes it cheaper per call in request
 * units than any design with effectively-once delivery, which the cost comparison states.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { JsonObject } from "../../runtime/core/json.ts";

export interface BaselineTables {
  stateTable: string;
  locksTable: string;
}

export interface BaselineRecord {
  version: number;
  actorType: string | null;
  state: JsonObject | null;
}

export class LockHeldError extends Error {
  override readonly name = "LockHeldError";
}

const STATE_SK = "state";

export class BaselineStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: BaselineTables,
  ) {}

  async lock(actorId: string, owner: string, ttlMs: number): Promise<void> {
    const now = Date.now();
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tables.locksTable,
          Item: { pk: { S: actorId }, owner: { S: owner }, expiresAt: { N: String(now + ttlMs) } },
          ConditionExpression: "attribute_not_exists(pk) OR #expiresAt < :now",
          ExpressionAttributeNames: { "#expiresAt": "expiresAt" },
          ExpressionAttributeValues: { ":now": { N: String(now) } },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new LockHeldError(`${actorId} is locked`);
      throw error;
    }
  }

  async load(actorId: string): Promise<BaselineRecord> {
    const { Item } = await this.client.send(
      new GetItemCommand({
        TableName: this.tables.stateTable,
        Key: { pk: { S: actorId }, sk: { S: STATE_SK } },
        ConsistentRead: true,
      }),
    );
    if (!Item) return { version: 0, actorType: null, state: null };
    return {
      version: Number(Item.version?.N ?? "0"),
      actorType: Item.actorType?.S ?? null,
      state: JSON.parse(Item.state?.S ?? "null") as JsonObject | null,
    };
  }

  /** Writes version `loaded.version + 1`; a VersionConflict surfaces as the SDK's condition failure. */
  async save(actorId: string, actorType: string, loaded: BaselineRecord, state: JsonObject): Promise<number> {
    const version = loaded.version + 1;
    await this.client.send(
      new PutItemCommand({
        TableName: this.tables.stateTable,
        Item: {
          pk: { S: actorId },
          sk: { S: STATE_SK },
          version: { N: String(version) },
          actorType: { S: actorType },
          state: { S: JSON.stringify(state) },
        },
        ...(loaded.version === 0
          ? { ConditionExpression: "attribute_not_exists(pk)" }
          : {
              ConditionExpression: "#version = :expected",
              ExpressionAttributeNames: { "#version": "version" },
              ExpressionAttributeValues: { ":expected": { N: String(loaded.version) } },
            }),
      }),
    );
    return version;
  }

  async release(actorId: string, owner: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tables.locksTable,
          Key: { pk: { S: actorId } },
          ConditionExpression: "#owner = :owner",
          ExpressionAttributeNames: { "#owner": "owner" },
          ExpressionAttributeValues: { ":owner": { S: owner } },
        }),
      );
    } catch (error) {
      // Expired and taken by someone else: theirs to release.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
