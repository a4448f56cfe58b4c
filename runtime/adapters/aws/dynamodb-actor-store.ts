import {
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { LeaseHeldError, LeaseLostError, StoreUnavailableError } from "../../core/errors.ts";
import { LIMITS } from "../../core/limits.ts";
import type {
  ActorRecord,
  ActorStore,
  ActorStoreLimits,
  Lease,
  LoadedActor,
  ProcessedMarker,
  StrandedActor,
  TurnCommit,
  WaitingPage,
} from "../../ports/actor-store.ts";
import { commitError } from "./commit-errors.ts";
import { commitTransaction, LEASE_NAMES } from "./commit-transaction.ts";
import { DEFAULTS, TABLES } from "./config.ts";
import { isErrorNamed, retryConflicts, storeError } from "./errors.ts";
import {
  DEFAULT_COMPRESS_ABOVE_BYTES,
  gzName,
  type Item,
  num,
  readNumber,
  readString,
  str,
} from "./json-attributes.ts";
import {
  decodeHeld,
  decodeMarker,
  decodeRecord,
  encodeCommit,
  markerKey,
  STATE_ATTRS,
  STATE_FLAGS,
  stateKey,
  WAIT_PREFIX,
} from "./state-items.ts";

export interface DynamoActorStoreOptions {
  client: DynamoDBClient;
  stateTable: string;
  locksTable: string;
  maxStateBytes?: number;
  /** JSON attributes above this size are gzipped (default 32 KB). */
  compressAboveBytes?: number;
  /** How long processed markers answer redeliveries (default and minimum: 14 days). */
  markerTtlMs?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** TransactGetItems reads at most 100 items; one slot is the state item. */
const MARKERS_PER_READ = 99;
/** A read that meets a commit in flight is cancelled (TransactionConflict); a short retry passes it. */
const READ_ATTEMPTS = 4;

/**
 * ActorStore on DynamoDB. A sync call costs three requests in two sequential round trips:
 * acquireLease (UpdateItem) in parallel with load (TransactGetItems), then commit (one
 * TransactWriteItems that also releases the lease).
 */
export class DynamoActorStore implements ActorStore {
  readonly limits: ActorStoreLimits;
  private readonly client: DynamoDBClient;
  private readonly stateTable: string;
  private readonly locksTable: string;
  private readonly compressAboveBytes: number;
  private readonly markerTtlMs: number;

  constructor(options: DynamoActorStoreOptions) {
    this.client = options.client;
    this.stateTable = options.stateTable;
    this.locksTable = options.locksTable;
    this.limits = {
      maxStateBytes: options.maxStateBytes ?? LIMITS.stateBytes,
      maxHeldBytesPerCommit: LIMITS.heldBytesPerTurn,
    };
    this.compressAboveBytes = options.compressAboveBytes ?? DEFAULT_COMPRESS_ABOVE_BYTES;
    this.markerTtlMs = Math.max(options.markerTtlMs ?? 0, DEFAULTS.markerTtlDays * DAY_MS);
  }

  /** One conditional UpdateItem: free, expired or ours → take it and bump the epoch (never reset, the item is never deleted). */
  async acquireLease(actorId: string, owner: string, ttlMs: number, now: number): Promise<Lease> {
    const expiresAt = now + ttlMs;
    try {
      const result = await this.client.send(
        new UpdateItemCommand({
          TableName: this.locksTable,
          Key: { [TABLES.locks.partitionKey]: str(actorId) },
          UpdateExpression:
            "SET #owner = :owner, #expiresAt = :expiresAt, #epoch = if_not_exists(#epoch, :zero) + :one",
          ConditionExpression: "attribute_not_exists(#epoch) OR #expiresAt <= :now OR #owner = :owner",
          ExpressionAttributeNames: LEASE_NAMES,
          ExpressionAttributeValues: {
            ":owner": str(owner),
            ":expiresAt": num(expiresAt),
            ":now": num(now),
            ":zero": num(0),
            ":one": num(1),
          },
          ReturnValues: "UPDATED_NEW",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      const epoch = readNumber(result.Attributes, "epoch");
      if (epoch === undefined) throw new Error(`DynamoDB returned no epoch for the lease on ${actorId}`);
      return { actorId, owner, epoch, expiresAt };
    } catch (error) {
      // A commit of the holder is in flight on the lease item (DynamoDB refuses single-item writes
      // to an item a transaction holds): the lease is busy, so the core's lease wait retries it.
      if (isErrorNamed(error, "TransactionConflictException")) {
        throw new LeaseHeldError(`actor ${actorId} is busy: a commit holds its lease record`, {
          hint: "wait for the turn to finish",
          details: { actorId, holder: null, expiresAt: now + 5 },
        });
      }
      if (isErrorNamed(error, "ConditionalCheckFailedException")) {
        const held = (error as { Item?: Item }).Item;
        const heldUntil = readNumber(held, "expiresAt") ?? now;
        throw new LeaseHeldError(`actor ${actorId} is busy: another turn holds its lease`, {
          hint: "wait for the turn to finish, or retry after the lease expires",
          details: { actorId, holder: readString(held, "owner") ?? null, expiresAt: heldUntil },
        });
      }
      throw storeError(error, `lease on ${actorId}`);
    }
  }

  async renewLease(lease: Lease, ttlMs: number, now: number): Promise<Lease> {
    const expiresAt = now + ttlMs;
    try {
      await retryConflicts(() =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.locksTable,
            Key: { [TABLES.locks.partitionKey]: str(lease.actorId) },
            UpdateExpression: "SET #expiresAt = :expiresAt",
            ConditionExpression: "#owner = :owner AND #epoch = :epoch",
            ExpressionAttributeNames: LEASE_NAMES,
            ExpressionAttributeValues: {
              ":owner": str(lease.owner),
              ":epoch": num(lease.epoch),
              ":expiresAt": num(expiresAt),
            },
          }),
        ),
      );
      return { ...lease, expiresAt };
    } catch (error) {
      if (isErrorNamed(error, "ConditionalCheckFailedException")) {
        throw new LeaseLostError(`the lease on ${lease.actorId} was taken over by a newer turn`, {
          hint: "the turn is retried with a fresh lease",
          details: { actorId: lease.actorId, epoch: lease.epoch },
        });
      }
      throw storeError(error, `renewal of the lease on ${lease.actorId}`);
    }
  }

  /** One consistent request: GetItem without markers to look up, else TransactGetItems (state + markers, isolated). */
  async load(actorId: string, messageIds: readonly string[]): Promise<LoadedActor> {
    const ids = [...new Set(messageIds)];
    const processed = new Map<string, ProcessedMarker>();
    if (ids.length === 0) {
      return { record: (await this.read(actorId)) ?? (await decodeRecord(actorId, undefined)), processed };
    }
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += MARKERS_PER_READ) chunks.push(ids.slice(i, i + MARKERS_PER_READ));
    const reads = await Promise.all(chunks.map((chunk, i) => this.transactGet(actorId, chunk, i === 0)));
    for (const read of reads) {
      for (const item of read.markers) {
        const marker = await decodeMarker(item);
        if (marker) processed.set(marker.messageId, marker);
      }
    }
    return { record: await decodeRecord(actorId, reads[0]?.state), processed };
  }

  /** One consistent Query of the items after the state item's key range: `wait#…`, in order. */
  async loadWaiting(actorId: string, limit: number): Promise<WaitingPage> {
    try {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.stateTable,
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

  async commit(commit: TurnCommit): Promise<void> {
    const encoded = await encodeCommit(commit, {
      compressAboveBytes: this.compressAboveBytes,
      maxStateBytes: this.limits.maxStateBytes,
      markerTtlMs: this.markerTtlMs,
    });
    const input = commitTransaction(commit, encoded, {
      stateTable: this.stateTable,
      locksTable: this.locksTable,
    });
    try {
      await this.client.send(new TransactWriteItemsCommand(input));
    } catch (error) {
      throw commitError(error, commit);
    }
  }

  async releaseLease(lease: Lease): Promise<void> {
    await this.conditionalUpdate(
      {
        TableName: this.locksTable,
        Key: { [TABLES.locks.partitionKey]: str(lease.actorId) },
        UpdateExpression: "SET #expiresAt = :released",
        ConditionExpression: "#owner = :owner AND #epoch = :epoch",
        ExpressionAttributeNames: LEASE_NAMES,
        ExpressionAttributeValues: {
          ":owner": str(lease.owner),
          ":epoch": num(lease.epoch),
          ":released": num(0),
        },
      },
      `release of the lease on ${lease.actorId}`,
    );
  }

  /**
   * Drops the outbox and, unless waiting messages still need the sweeper, the stranded-index
   * entry: one conditional update, and a second only for an unparked actor with waiting messages.
   */
  async clearOutbox(actorId: string, version: number): Promise<void> {
    const { strandedIndex } = TABLES.state;
    const names = {
      "#outbox": STATE_ATTRS.outbox,
      "#outboxGz": gzName(STATE_ATTRS.outbox),
      "#version": "version",
    };
    const done = await this.conditionalUpdate(
      {
        TableName: this.stateTable,
        Key: stateKey(actorId),
        UpdateExpression: "REMOVE #outbox, #outboxGz, #shard, #since",
        ConditionExpression:
          "#version = :version AND (attribute_not_exists(#waitingCount) OR #waitingCount = :zero OR attribute_exists(#isParked))",
        ExpressionAttributeNames: {
          ...names,
          "#shard": strandedIndex.partitionKey,
          "#since": strandedIndex.sortKey,
          "#waitingCount": STATE_FLAGS.waitingCount,
          "#isParked": STATE_FLAGS.isParked,
        },
        ExpressionAttributeValues: { ":version": num(version), ":zero": num(0) },
      },
      `clearing the outbox of ${actorId}`,
    );
    if (done) return;
    await this.conditionalUpdate(
      {
        TableName: this.stateTable,
        Key: stateKey(actorId),
        UpdateExpression: "REMOVE #outbox, #outboxGz",
        ConditionExpression: "#version = :version",
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ":version": num(version) },
      },
      `clearing the outbox of ${actorId}`,
    );
  }

  async read(actorId: string): Promise<ActorRecord | null> {
    try {
      const result = await this.client.send(
        new GetItemCommand({ TableName: this.stateTable, Key: stateKey(actorId), ConsistentRead: true }),
      );
      return result.Item ? await decodeRecord(actorId, result.Item) : null;
    } catch (error) {
      throw storeError(error, `read of ${actorId}`);
    }
  }

  /** Each shard of the sparse stranded index, queried in parallel (eventually consistent: a sweep is a second chance). */
  async listStranded(before: number, limit: number): Promise<StrandedActor[]> {
    const { strandedIndex } = TABLES.state;
    const shards = Array.from({ length: strandedIndex.shards }, (_, i) => `s${i.toString(16)}`);
    try {
      const pages = await Promise.all(
        shards.map((shard) =>
          this.client.send(
            new QueryCommand({
              TableName: this.stateTable,
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

  /**
   * An update whose failed condition means "nothing to do" (taken over, moved on, never written);
   * returns whether it applied. A concurrent transaction on the item is waited out briefly.
   */
  private async conditionalUpdate(
    input: ConstructorParameters<typeof UpdateItemCommand>[0],
    what: string,
  ): Promise<boolean> {
    try {
      await retryConflicts(() => this.client.send(new UpdateItemCommand(input)));
      return true;
    } catch (error) {
      if (isErrorNamed(error, "ConditionalCheckFailedException")) return false;
      throw storeError(error, what);
    }
  }

  private async transactGet(
    actorId: string,
    messageIds: readonly string[],
    withState: boolean,
  ): Promise<{ state: Item | undefined; markers: Item[] }> {
    const keys = [
      ...(withState ? [stateKey(actorId)] : []),
      ...messageIds.map((id) => markerKey(actorId, id)),
    ];
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.client.send(
          new TransactGetItemsCommand({
            TransactItems: keys.map((Key) => ({ Get: { TableName: this.stateTable, Key } })),
          }),
        );
        const items = (result.Responses ?? []).map((response) => response.Item);
        const markers = (withState ? items.slice(1) : items).filter(
          (item): item is Item => item !== undefined,
        );
        return { state: withState ? items[0] : undefined, markers };
      } catch (error) {
        const conflict = isErrorNamed(error, "TransactionCanceledException");
        if (conflict && attempt < READ_ATTEMPTS) {
          await new Promise((resolve) => setTimeout(resolve, 5 * 2 ** attempt * Math.random()));
          continue;
        }
        if (conflict)
          throw new StoreUnavailableError(`load of ${actorId} kept meeting concurrent commits`, {
            cause: error,
          });
        throw storeError(error, `load of ${actorId}`);
      }
    }
  }
}
