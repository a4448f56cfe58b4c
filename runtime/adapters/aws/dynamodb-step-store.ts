import { type DynamoDBClient, PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { StateTooLargeError } from "../../core/errors.ts";
import { formatBytes, type JsonValue } from "../../core/json.ts";
import type { Clock } from "../../ports/clock.ts";
import type { StepRecord, StepStore } from "../../ports/step-store.ts";
import { DEFAULTS, TABLES } from "./config.ts";
import { isErrorNamed, storeError } from "./errors.ts";
import {
  boundedKey,
  DEFAULT_COMPRESS_ABOVE_BYTES,
  getJson,
  type Item,
  itemBytes,
  MAX_ITEM_BYTES,
  num,
  putJson,
  readNumber,
  readString,
  str,
} from "./json-attributes.ts";

export interface DynamoStepStoreOptions {
  client: DynamoDBClient;
  table: string;
  clock: Clock;
  /** How long step records are kept (default and minimum: 14 days, as long as a message can be redelivered). */
  ttlMs?: number;
  compressAboveBytes?: number;
}

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLES.workflows;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Workflow steps in the Workflows table (pk = actor id, sk = "<run id>#<step key>"). A conditional
 * put makes the first writer win; the loser gets the winner's record back from the same request.
 */
export class DynamoStepStore implements StepStore {
  private readonly ttlMs: number;
  private readonly compressAboveBytes: number;

  constructor(private readonly options: DynamoStepStoreOptions) {
    this.ttlMs = Math.max(options.ttlMs ?? 0, DEFAULTS.markerTtlDays * DAY_MS);
    this.compressAboveBytes = options.compressAboveBytes ?? DEFAULT_COMPRESS_ABOVE_BYTES;
  }

  async list(actorId: string, runId: string): Promise<Map<string, StepRecord>> {
    const steps = new Map<string, StepRecord>();
    let startKey: Item | undefined;
    try {
      do {
        const page = await this.options.client.send(
          new QueryCommand({
            TableName: this.options.table,
            KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :run)",
            ExpressionAttributeNames: { "#pk": PK, "#sk": SK },
            ExpressionAttributeValues: { ":pk": str(actorId), ":run": str(runPrefix(runId)) },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          // The prefix also matches runs whose id extends this one ("a" and "a#b"); the stored run id decides.
          if (readString(item, "runId") !== runId) continue;
          const step = await decodeStep(item);
          if (step) steps.set(step.key, step);
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    } catch (error) {
      throw storeError(error, `listing steps of ${actorId}`);
    }
    return new Map(
      [...steps.values()].sort((a, b) => a.at - b.at || a.key.localeCompare(b.key)).map((s) => [s.key, s]),
    );
  }

  async record(actorId: string, runId: string, step: StepRecord): Promise<StepRecord> {
    const item: Item = {
      [PK]: str(actorId),
      [SK]: str(boundedKey(runPrefix(runId), step.key)),
      runId: str(runId),
      key: str(step.key),
      at: num(step.at),
      [TTL]: num(Math.ceil((this.options.clock.now() + this.ttlMs) / 1000)),
    };
    await putJson(item, "result", step.result, this.compressAboveBytes);
    const bytes = itemBytes(item);
    if (bytes > MAX_ITEM_BYTES) {
      throw new StateTooLargeError(
        `the result of step "${step.key}" of ${actorId} is ${formatBytes(bytes)} compressed, too large to record (limit ${formatBytes(MAX_ITEM_BYTES)})`,
        {
          hint: "return a smaller value from the step",
          details: { actorId, runId, key: step.key, size: bytes },
        },
      );
    }
    try {
      await this.options.client.send(
        new PutItemCommand({
          TableName: this.options.table,
          Item: item,
          ConditionExpression: "attribute_not_exists(#sk)",
          ExpressionAttributeNames: { "#sk": SK },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return { key: step.key, result: step.result, at: step.at };
    } catch (error) {
      if (isErrorNamed(error, "ConditionalCheckFailedException")) {
        const kept = await decodeStep((error as { Item?: Item }).Item);
        if (kept) return kept;
      }
      throw storeError(error, `recording step "${step.key}" of ${actorId}`);
    }
  }
}

function runPrefix(runId: string): string {
  return `${boundedKey("", runId, 500)}#`;
}

async function decodeStep(item: Item | undefined): Promise<StepRecord | undefined> {
  const key = readString(item, "key");
  const at = readNumber(item, "at");
  if (!item || key === undefined || at === undefined) return undefined;
  // Same key order as a recorded step, so every caller gets an identical value back.
  return { key, result: (await getJson<JsonValue | null>(item, "result")) ?? null, at };
}
