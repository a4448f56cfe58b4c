import { createHash } from "node:crypto";
import type {
  PutItemCommandInput,
  TransactWriteItem,
  TransactWriteItemsCommandInput,
} from "@aws-sdk/client-dynamodb";
import { StateTooLargeError } from "../../core/errors.ts";
import type { TurnCommit } from "../../ports/actor-store.ts";
import { TABLES } from "./config.ts";
import { type Item, num, readNumber } from "./json-attributes.ts";
import { HOLDER_CONDITION, HOLDER_NAMES, holderValues, leaseAfterCommit } from "./lease-items.ts";
import type { EncodedCommit } from "./state-items.ts";

/** TransactWriteItems takes at most this many items. */
const MAX_TRANSACTION_ITEMS = 100;
/** The state item remembers the tokens of its last few commits (see `landed`). */
export const RECENT_COMMITS_ATTR = "recentCommits";
const RECENT_COMMITS_KEPT = 8;

/** Positions of the items in a commit's TransactWriteItems (markers follow the state item). */
export const COMMIT_ITEM = { state: 0, firstMarker: 1 } as const;

/**
 * One request: a PutItem when the turn writes only the state item, else a TransactWriteItems.
 * `mark` is what the state item records of this commit among its recent ones.
 */
export type CommitRequest =
  | { kind: "put"; input: PutItemCommandInput; mark: string }
  | { kind: "transaction"; input: TransactWriteItemsCommandInput; mark: string };

/**
 * The one write of a turn. The state item carries the lease, so its Put is conditional on the
 * loaded version and on the holder (owner, epoch, expiry), and sets the lease as the turn leaves
 * it (released, kept for a grace, or still held). Markers (conditional on not existing: a repeat
 * of an applied message writes nothing), held messages and drained ones make it a transaction.
 * `previousTokens` are the tokens the state item held at the loaded version.
 */
export function commitRequest(
  commit: TurnCommit,
  encoded: EncodedCommit,
  table: string,
  previousTokens: readonly string[],
): CommitRequest {
  const { lease } = commit;
  const token = commitToken(commit);
  const mark = token.slice(0, 16);
  const firstWrite = commit.expectedVersion === 0;
  const item: Item = {
    ...encoded.state,
    ...leaseAfterCommit(lease, commit),
    [RECENT_COMMITS_ATTR]: {
      L: [mark, ...previousTokens.filter((t) => t !== mark)]
        .slice(0, RECENT_COMMITS_KEPT)
        .map((S) => ({ S })),
    },
  };
  const put = {
    TableName: table,
    Item: item,
    ConditionExpression: `${firstWrite ? "attribute_not_exists(#version)" : "#version = :expected"} AND ${HOLDER_CONDITION}`,
    ExpressionAttributeNames: { "#version": "version", ...HOLDER_NAMES },
    ExpressionAttributeValues: {
      ...holderValues(lease, commit.now),
      ...(firstWrite ? {} : { ":expected": num(commit.expectedVersion) }),
    },
    ReturnValuesOnConditionCheckFailure: "ALL_OLD" as const,
  };
  if (encoded.markers.length === 0 && encoded.held.length === 0 && encoded.drained.length === 0) {
    return { kind: "put", input: put, mark };
  }
  const items: TransactWriteItem[] = [{ Put: put }];
  for (const Item of encoded.markers) {
    items.push({
      Put: {
        TableName: table,
        Item,
        // A marker that exists means the message was applied by an earlier turn: nothing may be written.
        ConditionExpression: "attribute_not_exists(#sk)",
        ExpressionAttributeNames: { "#sk": TABLES.state.sortKey },
      },
    });
  }
  // Held messages are keyed by their delivery position: writing one again (a redelivery) is harmless.
  for (const Item of encoded.held) items.push({ Put: { TableName: table, Item } });
  for (const Key of encoded.drained) items.push({ Delete: { TableName: table, Key } });
  if (items.length > MAX_TRANSACTION_ITEMS) {
    throw new StateTooLargeError(
      `turn on ${lease.actorId} writes ${items.length} items, over DynamoDB's ${MAX_TRANSACTION_ITEMS} per transaction`,
      { hint: "process fewer messages per turn", details: { actorId: lease.actorId, items: items.length } },
    );
  }
  return {
    kind: "transaction",
    // The SDK retries a commit whose answer was lost; the token makes DynamoDB answer that retry
    // with the first outcome instead of failing it on the version the first attempt already wrote.
    input: { TransactItems: items, ClientRequestToken: token },
    mark,
  };
}

/**
 * Whether a commit refused with this state item had in fact landed earlier: the SDK retried a
 * PutItem whose answer was lost, and the first attempt is among the item's recent commits.
 */
export function landed(item: Item | undefined, mark: string): boolean {
  return recentTokens(item).includes(mark);
}

export function recentTokens(item: Item | undefined): string[] {
  return (item?.[RECENT_COMMITS_ATTR]?.L ?? []).flatMap((v) => (v.S === undefined ? [] : [v.S]));
}

/**
 * Unique per commit attempt of a turn (lease, versions, time, markers); the SDK's retries of one
 * request send the same input, so they carry the same token.
 */
function commitToken(commit: TurnCommit): string {
  const { lease } = commit;
  const markers = commit.markers.map((m) => m.messageId).join("\n");
  return createHash("sha256")
    .update(
      `${lease.actorId}\n${lease.owner}\n${lease.epoch}\n${commit.expectedVersion}\n${commit.version}\n${commit.now}\n${markers}`,
    )
    .digest("hex")
    .slice(0, 36);
}

/** Actors whose recent commit marks this process remembers (see commitRequest). */
const REMEMBERED_ACTORS = 1024;

/**
 * The recent commit marks each remembered actor's state item held at a version, as last read or
 * written: what the next commit on it sends so a retried put can recognise its own earlier write.
 */
export class RecentCommitMarks {
  readonly #byActor = new Map<string, { version: number; marks: string[] }>();

  /** The marks the item held at `version`, or none if it was not seen there. */
  at(actorId: string, version: number): string[] {
    const known = this.#byActor.get(actorId);
    return known?.version === version ? known.marks : [];
  }

  remember(actorId: string, item: Item | undefined): void {
    const version = readNumber(item, "version");
    if (version === undefined) return;
    this.#byActor.delete(actorId);
    this.#byActor.set(actorId, { version, marks: recentTokens(item) });
    if (this.#byActor.size > REMEMBERED_ACTORS) {
      const oldest = this.#byActor.keys().next().value;
      if (oldest !== undefined) this.#byActor.delete(oldest);
    }
  }

  forget(actorId: string): void {
    this.#byActor.delete(actorId);
  }
}
