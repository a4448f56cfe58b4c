import { createHash } from "node:crypto";
import type { TransactWriteItem, TransactWriteItemsCommandInput } from "@aws-sdk/client-dynamodb";
import { StateTooLargeError } from "../../core/errors.ts";
import type { TurnCommit } from "../../ports/actor-store.ts";
import { COMMIT_ITEM } from "./commit-errors.ts";
import { TABLES } from "./config.ts";
import { num, str } from "./json-attributes.ts";
import type { EncodedCommit } from "./state-items.ts";

/** TransactWriteItems takes at most this many items. */
const MAX_TRANSACTION_ITEMS = 100;

/** `owner` is a DynamoDB reserved word; every lease attribute goes through a name placeholder. */
export const LEASE_NAMES = { "#owner": "owner", "#epoch": "epoch", "#expiresAt": "expiresAt" };

export interface CommitTables {
  stateTable: string;
  locksTable: string;
}

/**
 * The one TransactWriteItems of a turn, in the order commitError reads the cancellation reasons:
 * the state item (conditional on the loaded version), the lease (conditional on owner, epoch and
 * expiry; released in the same write when asked), then one marker per processed message, then the
 * messages the turn holds and the held messages it drained.
 */
export function commitTransaction(
  commit: TurnCommit,
  encoded: EncodedCommit,
  tables: CommitTables,
): TransactWriteItemsCommandInput {
  const { lease } = commit;
  const leaseCondition = {
    TableName: tables.locksTable,
    Key: { [TABLES.locks.partitionKey]: str(lease.actorId) },
    // Owner and epoch fence a holder that was taken over; expiresAt fences one that paused past its lease.
    ConditionExpression: "#owner = :owner AND #epoch = :epoch AND #expiresAt > :now",
    ExpressionAttributeNames: LEASE_NAMES,
    ExpressionAttributeValues: {
      ":owner": str(lease.owner),
      ":epoch": num(lease.epoch),
      ":now": num(commit.now),
    },
    ReturnValuesOnConditionCheckFailure: "ALL_OLD" as const,
  };
  const firstWrite = commit.expectedVersion === 0;
  const items: TransactWriteItem[] = [];
  items[COMMIT_ITEM.state] = {
    Put: {
      TableName: tables.stateTable,
      Item: encoded.state,
      ConditionExpression: firstWrite ? "attribute_not_exists(#version)" : "#version = :expected",
      ExpressionAttributeNames: { "#version": "version" },
      ...(firstWrite ? {} : { ExpressionAttributeValues: { ":expected": num(commit.expectedVersion) } }),
      ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    },
  };
  items[COMMIT_ITEM.lease] = commit.release
    ? {
        // Released, not deleted: the epoch must keep counting up.
        Update: {
          ...leaseCondition,
          UpdateExpression: "SET #expiresAt = :released",
          ExpressionAttributeValues: { ...leaseCondition.ExpressionAttributeValues, ":released": num(0) },
        },
      }
    : { ConditionCheck: leaseCondition };
  for (const Item of encoded.markers) {
    items.push({
      Put: {
        TableName: tables.stateTable,
        Item,
        // A marker that exists means the message was applied by an earlier turn: nothing may be written.
        ConditionExpression: "attribute_not_exists(#sk)",
        ExpressionAttributeNames: { "#sk": TABLES.state.sortKey },
      },
    });
  }
  // Held messages are keyed by their delivery position: writing one again (a redelivery) is harmless.
  for (const Item of encoded.held) items.push({ Put: { TableName: tables.stateTable, Item } });
  for (const Key of encoded.drained) items.push({ Delete: { TableName: tables.stateTable, Key } });
  if (items.length > MAX_TRANSACTION_ITEMS) {
    throw new StateTooLargeError(
      `turn on ${lease.actorId} writes ${items.length} items, over DynamoDB's ${MAX_TRANSACTION_ITEMS} per transaction`,
      { hint: "process fewer messages per turn", details: { actorId: lease.actorId, items: items.length } },
    );
  }
  return {
    TransactItems: items,
    // The SDK retries a commit whose answer was lost; the token makes DynamoDB answer that retry
    // with the first outcome instead of failing it on the version the first attempt already wrote.
    ClientRequestToken: commitToken(commit),
  };
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
