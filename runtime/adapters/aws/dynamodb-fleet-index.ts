import { BatchGetItemCommand, type DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { StoreUnavailableError } from "../../core/errors.ts";
import {
  FLEET_PAGE_MAX,
  type FleetEntry,
  type FleetIndex,
  type FleetPage,
  type FleetQuery,
} from "../../ports/fleet-index.ts";
import { TABLES } from "./config.ts";
import { storeError } from "./errors.ts";
import { type FleetPositions, fleetCursor, fleetPositions, fleetStreams } from "./fleet-cursor.ts";
import { actorOfFleetKey, FLEET_ATTRS, fleetShardName } from "./fleet-items.ts";
import { type Item, readNumber, readString, str } from "./json-attributes.ts";
import { STATE_FLAGS, STATE_SORT_KEY, stateKey } from "./state-items.ts";

export interface DynamoFleetIndexOptions {
  client: DynamoDBClient;
  stateTable: string;
}

const FLEET = TABLES.state.fleetIndex;
const { partitionKey: PK, sortKey: SK } = TABLES.state;
/** Rounds of per-shard queries one page may take before it returns short (with a cursor). */
const MAX_ROUNDS = 16;
/** Requests one shard may spend per round looking for ids that match a prefix. */
const FILTER_REQUESTS = 4;
/** BatchGetItem reads at most this many keys per request. */
const BATCH_GET_KEYS = 100;
const BATCH_GET_ATTEMPTS = 5;

interface StreamRead {
  keys: string[];
  /** Every match at or below this key was returned; null when the stream has nothing after them. */
  frontier: string | null;
}

/**
 * `durable state list --stage` and the inspector on a stage: Queries of the keys-only fleet index,
 * one per shard (and key prefix), merged in key order, then one BatchGetItem of the page's state
 * items for what changes with every commit (version, last active, next timer). Never a Scan.
 */
export class DynamoFleetIndex implements FleetIndex {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(options: DynamoFleetIndexOptions) {
    this.#client = options.client;
    this.#table = options.stateTable;
  }

  async list(query: FleetQuery): Promise<FleetPage> {
    const limit = Math.min(Math.max(1, Math.floor(query.limit)), FLEET_PAGE_MAX);
    const streams = fleetStreams(query);
    const positions: FleetPositions = fleetPositions(query, streams);
    const keys: string[] = [];
    for (let round = 0; round < MAX_ROUNDS && keys.length < limit; round++) {
      const live = streams.filter((s) => positions.get(s.id) !== null);
      if (live.length === 0) break;
      const need = limit - keys.length;
      // Keys spread evenly over the shards (a hash of the id), so each reads its share and some
      // slack rather than a whole page: 1.5 times the keys a page takes, not 16 times.
      const share = Math.min(need, Math.ceil((need / live.length) * 1.5) + 2);
      const reads = await Promise.all(
        live.map((s) =>
          this.#readStream(s.shard, s.prefix, positions.get(s.id) ?? undefined, share, query.idPrefix),
        ),
      );
      // Keys above a stream's frontier may still have smaller ones in that stream: wait for them.
      const frontiers = reads.flatMap((r) => (r.frontier === null ? [] : [r.frontier]));
      const bound = frontiers.sort()[0];
      const taken = reads
        .flatMap((r) => r.keys)
        .filter((k) => bound === undefined || k <= bound)
        .sort()
        .slice(0, need);
      const takenSet = new Set(taken);
      live.forEach((stream, i) => {
        const read = reads[i] as StreamRead;
        const mine = read.keys.filter((k) => takenSet.has(k));
        if (mine.length === read.keys.length) positions.set(stream.id, read.frontier);
        else if (mine.length > 0) positions.set(stream.id, mine[mine.length - 1] as string);
      });
      keys.push(...taken);
    }
    const done = streams.every((s) => positions.get(s.id) === null);
    const entries = await this.#details(keys.map(actorOfFleetKey));
    return {
      actors: entries.filter((e) => !query.parked || e.parked),
      next: done ? null : fleetCursor(query, positions),
    };
  }

  /** The next matching keys of one shard and prefix after `after` (undefined: from the start). */
  async #readStream(
    shard: number,
    prefix: string,
    after: string | undefined,
    need: number,
    idPrefix: string | undefined,
  ): Promise<StreamRead> {
    const shardName = fleetShardName(shard);
    const names: Record<string, string> = { "#shard": FLEET.partitionKey };
    const values: Item = { ":shard": str(shardName) };
    let condition = "#shard = :shard";
    if (prefix !== "") {
      condition += " AND begins_with(#key, :prefix)";
      names["#key"] = FLEET.sortKey;
      values[":prefix"] = str(prefix);
    }
    if (idPrefix) {
      names["#pk"] = PK;
      values[":id"] = str(idPrefix);
    }
    let start: Item | undefined = after === undefined ? undefined : exclusiveStart(shardName, after);
    const keys: string[] = [];
    for (let request = 0; request < (idPrefix ? FILTER_REQUESTS : 1); request++) {
      const result = await this.#send("listing the fleet index", () =>
        this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            IndexName: FLEET.name,
            KeyConditionExpression: condition,
            ...(idPrefix ? { FilterExpression: "begins_with(#pk, :id)" } : {}),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ExclusiveStartKey: start,
            Limit: need,
          }),
        ),
      );
      for (const item of result.Items ?? []) {
        const key = readString(item, FLEET.sortKey);
        if (key !== undefined) keys.push(key);
      }
      start = result.LastEvaluatedKey;
      if (start === undefined || keys.length >= need) break;
    }
    const frontier = start === undefined ? null : (readString(start, FLEET.sortKey) ?? null);
    return { keys, frontier };
  }

  /** The page's state items, eventually consistent like the index itself, in the page's order. */
  async #details(actorIds: readonly string[]): Promise<FleetEntry[]> {
    const found = new Map<string, FleetEntry>();
    const chunks: string[][] = [];
    for (let i = 0; i < actorIds.length; i += BATCH_GET_KEYS)
      chunks.push(actorIds.slice(i, i + BATCH_GET_KEYS));
    await Promise.all(
      chunks.map(async (chunk) => {
        let keys: Item[] = chunk.map((id) => stateKey(id));
        for (let attempt = 1; keys.length > 0; attempt++) {
          const result = await this.#send("reading the listed actors", () =>
            this.#client.send(
              new BatchGetItemCommand({
                RequestItems: {
                  [this.#table]: {
                    Keys: keys,
                    ProjectionExpression: "#pk, actorType, version, updatedAt, #parked, #next, #waiting",
                    ExpressionAttributeNames: {
                      "#pk": PK,
                      "#parked": STATE_FLAGS.isParked,
                      "#next": FLEET_ATTRS.nextTimerAt,
                      "#waiting": STATE_FLAGS.waitingCount,
                    },
                  },
                },
              }),
            ),
          );
          for (const item of result.Responses?.[this.#table] ?? []) {
            const entry = toEntry(item);
            if (entry) found.set(entry.actorId, entry);
          }
          keys = result.UnprocessedKeys?.[this.#table]?.Keys ?? [];
          if (keys.length > 0 && attempt >= BATCH_GET_ATTEMPTS) {
            throw new StoreUnavailableError(
              `reading the listed actors: DynamoDB left ${keys.length} of them unprocessed ${attempt} times (throttled)`,
              { hint: "retry the listing with the same cursor" },
            );
          }
          if (keys.length > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt * Math.random()));
        }
      }),
    );
    return actorIds.flatMap((id) => {
      const entry = found.get(id);
      return entry ? [entry] : [];
    });
  }

  async #send<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw storeError(error, what);
    }
  }
}

/** An index position as DynamoDB wants it back: the index keys and the table keys of that item. */
function exclusiveStart(shard: string, key: string): Item {
  return {
    [FLEET.partitionKey]: str(shard),
    [FLEET.sortKey]: str(key),
    [PK]: str(actorOfFleetKey(key)),
    [SK]: str(STATE_SORT_KEY),
  };
}

function toEntry(item: Item): FleetEntry | undefined {
  const actorId = readString(item, PK);
  const version = readNumber(item, "version");
  if (actorId === undefined || version === undefined) return undefined;
  return {
    actorId,
    actorType: readString(item, "actorType") ?? null,
    version,
    updatedAt: readNumber(item, "updatedAt") ?? 0,
    parked: item[STATE_FLAGS.isParked]?.BOOL === true,
    nextTimerAt: readNumber(item, FLEET_ATTRS.nextTimerAt) ?? null,
    waiting: readNumber(item, STATE_FLAGS.waitingCount) ?? 0,
  };
}
