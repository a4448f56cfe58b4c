import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { LeaseHeldError, LeaseLostError } from "../../core/errors.ts";
import type { JsonValue } from "../../core/json.ts";
import { LIMITS } from "../../core/limits.ts";
import type {
  ActorRecord,
  ActorStore,
  ActorStoreLimits,
  BlobSweep,
  Lease,
  LoadedActor,
  ProcessedMarker,
  StrandedActor,
  TurnCommit,
  WaitingPage,
} from "../../ports/actor-store.ts";
import type { StateBlobStore } from "../../ports/state-blobs.ts";
import {
  placeStateObject,
  readStateObject,
  releaseRefused,
  releaseReplaced,
  sweepStateObjects,
  withStateObjectRetry,
} from "../shared/state-objects.ts";
import { commitError } from "./commit-errors.ts";
import { commitRequest, RecentCommitMarks } from "./commit-write.ts";
import { DEFAULTS, TABLES } from "./config.ts";
import { isErrorNamed, retryConflicts, storeError } from "./errors.ts";
import { DEFAULT_COMPRESS_ABOVE_BYTES, type Item, readNumber, readString } from "./json-attributes.ts";
import { acquireInput, readLease, setExpiryInput } from "./lease-items.ts";
import {
  decodeMarker,
  decodeRecord,
  encodeCommit,
  markerKey,
  STATE_SORT_KEY,
  stateKey,
} from "./state-items.ts";
import { batchGetConsistent, listStranded, queryWaiting, readVersionAndRef } from "./state-reads.ts";
import { clearOutboxUpdates } from "./state-writes.ts";

export interface DynamoActorStoreOptions {
  client: DynamoDBClient;
  stateTable: string;
  maxStateBytes?: number;
  /** JSON attributes above this size are gzipped (default 32 KB). */
  compressAboveBytes?: number;
  /** How long processed markers answer redeliveries (default and minimum: 14 days). */
  markerTtlMs?: number;
  /**
   * Where states too large for an item go (the fabric's S3 bucket), up to LIMITS.stateBytes; without
   * it they are refused above 400 KB.
   */
  blobs?: StateBlobStore;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * ActorStore on DynamoDB, with each actor's lease on its state item. A sync call costs two
 * requests in two sequential round trips: acquireLease (an UpdateItem whose reply also answers
 * the load asked for with it), then commit (one PutItem, conditional on the version and the
 * holder, that also releases the lease or keeps it for the warm grace). A warm turn sends only
 * the commit. Markers add a BatchGetItem beside the acquire, and make the commit a
 * TransactWriteItems, as held messages do.
 */
export class DynamoActorStore implements ActorStore {
  readonly limits: ActorStoreLimits;
  private readonly client: DynamoDBClient;
  private readonly stateTable: string;
  private readonly compressAboveBytes: number;
  private readonly markerTtlMs: number;
  private readonly blobs: StateBlobStore | undefined;
  private readonly readObject: ((ref: string) => Promise<JsonValue>) | undefined;
  private readonly recent = new RecentCommitMarks();
  /**
   * Acquires sent in the current synchronous run of the event loop, by actor, with the state item
   * their reply carries (as the acquire left it, or as it found it when the lease was held). A
   * load of the same actor asked for in that same run takes the item from there: acquire ∥ load
   * then costs one request. Only in the same run, because no request can reach DynamoDB before
   * it ends: the item is read after the load was asked for, as a load's must be.
   */
  private readonly acquiring = new Map<string, Promise<Item | undefined>>();

  constructor(options: DynamoActorStoreOptions) {
    this.client = options.client;
    this.stateTable = options.stateTable;
    const blobs = options.blobs;
    this.blobs = blobs;
    this.readObject = blobs ? (ref) => readStateObject(blobs, ref) : undefined;
    this.limits = {
      maxStateBytes: options.maxStateBytes ?? (blobs ? LIMITS.stateBytes : LIMITS.inlineStateBytes),
      maxHeldBytesPerCommit: LIMITS.heldBytesPerTurn,
    };
    this.compressAboveBytes = options.compressAboveBytes ?? DEFAULT_COMPRESS_ABOVE_BYTES;
    this.markerTtlMs = Math.max(options.markerTtlMs ?? 0, DEFAULTS.markerTtlDays * DAY_MS);
  }

  /** One conditional UpdateItem on the state item: free, expired, in a grace or ours → take it and bump the epoch. */
  async acquireLease(actorId: string, owner: string, ttlMs: number, now: number): Promise<Lease> {
    const expiresAt = now + ttlMs;
    const sent = this.client.send(
      new UpdateItemCommand(acquireInput(this.stateTable, actorId, owner, expiresAt, now)),
    );
    const item = sent.then(
      (result) => result.Attributes,
      (error: unknown) =>
        isErrorNamed(error, "ConditionalCheckFailedException") ? (error as { Item?: Item }).Item : undefined,
    );
    this.acquiring.set(actorId, item);
    queueMicrotask(() => {
      if (this.acquiring.get(actorId) === item) this.acquiring.delete(actorId);
    });
    try {
      const result = await sent;
      const epoch = readLease(result.Attributes).epoch;
      if (epoch === null) throw new Error(`DynamoDB returned no epoch for the lease on ${actorId}`);
      return { actorId, owner, epoch, expiresAt };
    } catch (error) {
      // A commit of the holder is in flight on the state item (DynamoDB refuses single-item writes
      // to an item a transaction holds): the lease is busy, so the core's lease wait retries it.
      if (isErrorNamed(error, "TransactionConflictException")) {
        throw new LeaseHeldError(`actor ${actorId} is busy: a commit holds its state item`, {
          hint: "wait for the turn to finish",
          details: { actorId, holder: null, expiresAt: now + 5 },
        });
      }
      if (isErrorNamed(error, "ConditionalCheckFailedException")) {
        const held = readLease((error as { Item?: Item }).Item);
        throw new LeaseHeldError(`actor ${actorId} is busy: another turn holds its lease`, {
          hint: "wait for the turn to finish, or retry after the lease expires",
          details: { actorId, holder: held.owner, expiresAt: held.expiresAt || now },
        });
      }
      throw storeError(error, `lease on ${actorId}`);
    }
  }

  async renewLease(lease: Lease, ttlMs: number, now: number): Promise<Lease> {
    const expiresAt = now + ttlMs;
    try {
      await retryConflicts(() =>
        this.client.send(new UpdateItemCommand(setExpiryInput(this.stateTable, lease, expiresAt))),
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

  /**
   * One consistent request: the state item from an acquire sent just before (see `acquiring`),
   * else GetItem; with markers to look up, a BatchGetItem of the markers (and of the state item
   * when no acquire brings it). A state kept in S3 is fetched as soon as the item names it.
   */
  async load(actorId: string, messageIds: readonly string[]): Promise<LoadedActor> {
    const fromAcquire = this.acquiring.get(actorId);
    let first = true;
    return withStateObjectRetry(() => {
      // A retry (the object was replaced under us) reads the item again, not the acquire's reply.
      const acquired = first ? fromAcquire : undefined;
      first = false;
      return this.loadOnce(actorId, messageIds, acquired);
    });
  }

  private async loadOnce(
    actorId: string,
    messageIds: readonly string[],
    fromAcquire: Promise<Item | undefined> | undefined,
  ): Promise<LoadedActor> {
    const ids = [...new Set(messageIds)];
    const markerKeys = ids.map((id) => markerKey(actorId, id));
    // Not a transaction: our own acquire, sent together with this read, writes the state item, and
    // a transactional read would be cancelled by it. The state and the markers may then be read a
    // moment apart; the commit is conditional on the version and on each marker's absence, so a
    // read that missed a commit only makes the commit fail and the turn run again.
    let state: Item | undefined;
    let markers: Item[];
    if (fromAcquire) {
      const [item, found] = await Promise.all([
        fromAcquire,
        markerKeys.length > 0 ? this.batchGet(markerKeys, `load of ${actorId}`) : [],
      ]);
      state = item ?? (await this.stateItem(actorId));
      markers = found;
    } else if (markerKeys.length === 0) {
      state = await this.stateItem(actorId);
      markers = [];
    } else {
      const items = await this.batchGet([stateKey(actorId), ...markerKeys], `load of ${actorId}`);
      state = items.find((item) => readString(item, TABLES.state.sortKey) === STATE_SORT_KEY);
      markers = items.filter((item) => item !== state);
    }
    const processed = new Map<string, ProcessedMarker>();
    for (const item of markers) {
      const marker = await decodeMarker(item);
      if (marker && ids.includes(marker.messageId)) processed.set(marker.messageId, marker);
    }
    this.recent.remember(actorId, state);
    return { record: await decodeRecord(actorId, state, this.readObject), processed };
  }

  /** One consistent Query of the items after the state item's key range: `wait#…`, in order. */
  async loadWaiting(actorId: string, limit: number): Promise<WaitingPage> {
    return queryWaiting(this.client, this.stateTable, actorId, limit);
  }

  /**
   * A state too large for the item is written to S3 first, under a key of its own; the item then
   * commits its key in the same fenced write. A crash in between leaves an orphan object for the
   * sweep, never an item pointing at nothing.
   */
  async commit(commit: TurnCommit): Promise<void> {
    const actorId = commit.lease.actorId;
    const blobs = this.blobs;
    const encoded = await encodeCommit(commit, {
      compressAboveBytes: this.compressAboveBytes,
      maxStateBytes: this.limits.maxStateBytes,
      markerTtlMs: this.markerTtlMs,
      placeState: blobs ? (json, packed) => placeStateObject(blobs, commit, json, packed) : undefined,
    });
    const previous = this.recent.at(actorId, commit.expectedVersion);
    const request = commitRequest(commit, encoded, this.stateTable, previous);
    try {
      if (request.kind === "put") await this.client.send(new PutItemCommand(request.input));
      else await this.client.send(new TransactWriteItemsCommand(request.input));
    } catch (error) {
      const refused = commitError(error, commit, request.mark);
      if (refused !== null) {
        this.recent.forget(actorId);
        await releaseRefused(blobs, encoded.placed, refused);
        throw refused;
      }
    }
    const state = request.kind === "put" ? request.input.Item : request.input.TransactItems?.[0]?.Put?.Item;
    this.recent.remember(actorId, state);
    await releaseReplaced(blobs, commit, encoded.placed?.ref);
  }

  async releaseLease(lease: Lease): Promise<void> {
    await this.conditionalUpdate(
      setExpiryInput(this.stateTable, lease, 0),
      `release of the lease on ${lease.actorId}`,
    );
  }

  /**
   * Drops the outbox and, unless waiting messages still need the sweeper, the stranded-index
   * entry (see clearOutboxUpdates).
   */
  async clearOutbox(actorId: string, version: number): Promise<void> {
    const [first, second] = clearOutboxUpdates(this.stateTable, actorId, version);
    if (await this.conditionalUpdate(first, `clearing the outbox of ${actorId}`)) return;
    await this.conditionalUpdate(second, `clearing the outbox of ${actorId}`);
  }

  async read(actorId: string): Promise<ActorRecord | null> {
    return withStateObjectRetry(async () => {
      const item = await this.stateItem(actorId);
      this.recent.remember(actorId, item);
      // A state item with a lease and no version: leased, never committed.
      return readNumber(item, "version") === undefined
        ? null
        : await decodeRecord(actorId, item, this.readObject);
    });
  }

  /** Objects of large states that no record points at any more (a crash between write and commit). */
  async sweepBlobs(before: number, limit: number): Promise<BlobSweep> {
    if (!this.blobs) return { checked: 0, deleted: 0 };
    return sweepStateObjects(
      this.blobs,
      (actorId) => readVersionAndRef(this.client, this.stateTable, actorId),
      before,
      limit,
    );
  }

  private async stateItem(actorId: string): Promise<Item | undefined> {
    try {
      const result = await this.client.send(
        new GetItemCommand({ TableName: this.stateTable, Key: stateKey(actorId), ConsistentRead: true }),
      );
      return result.Item;
    } catch (error) {
      throw storeError(error, `read of ${actorId}`);
    }
  }

  /** Each shard of the sparse stranded index, queried in parallel (eventually consistent: a sweep is a second chance). */
  async listStranded(before: number, limit: number): Promise<StrandedActor[]> {
    return listStranded(this.client, this.stateTable, before, limit);
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

  private batchGet(keys: readonly Item[], what: string): Promise<Item[]> {
    return batchGetConsistent(this.client, this.stateTable, keys, what);
  }
}
