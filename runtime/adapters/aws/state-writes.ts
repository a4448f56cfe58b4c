import type { UpdateItemCommandInput } from "@aws-sdk/client-dynamodb";
import { TABLES } from "./config.ts";
import { gzName, num } from "./json-attributes.ts";
import { STATE_ATTRS, STATE_FLAGS, stateKey } from "./state-items.ts";

/**
 * The two conditional updates that clear a relayed outbox from the state item at `version`. The
 * first also takes the item out of the stranded index, unless an unparked actor still has waiting
 * messages for the sweeper to drain; only when that condition fails is the second (outbox only) sent.
 */
export function clearOutboxUpdates(
  stateTable: string,
  actorId: string,
  version: number,
): [UpdateItemCommandInput, UpdateItemCommandInput] {
  const { strandedIndex } = TABLES.state;
  const names = {
    "#outbox": STATE_ATTRS.outbox,
    "#outboxGz": gzName(STATE_ATTRS.outbox),
    "#version": "version",
  };
  return [
    {
      TableName: stateTable,
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
    {
      TableName: stateTable,
      Key: stateKey(actorId),
      UpdateExpression: "REMOVE #outbox, #outboxGz",
      ConditionExpression: "#version = :version",
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ":version": num(version) },
    },
  ];
}
