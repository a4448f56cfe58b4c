import type { UpdateItemCommandInput } from "@aws-sdk/client-dynamodb";
import type { Lease } from "../../ports/actor-store.ts";
import { type Item, num, readNumber, readString, str } from "./json-attributes.ts";
import { stateKey } from "./state-items.ts";

/**
 * An actor's lease lives on its state item, so one conditional write both fences a commit (owner,
 * epoch, expiry) and writes the state: a commit without markers or held messages is a single
 * PutItem, not a transaction. The epoch is never reset (the state item is never deleted), so each
 * grant is greater than every one before it.
 */
export const LEASE_ATTRS = {
  owner: "leaseOwner",
  epoch: "leaseEpoch",
  expiresAt: "leaseExpiresAt",
  /** True while a process keeps the lease after its commit (the warm grace): any acquire takes it. */
  grace: "leaseGrace",
} as const;

export const LEASE_NAMES = {
  "#leaseOwner": LEASE_ATTRS.owner,
  "#leaseEpoch": LEASE_ATTRS.epoch,
  "#leaseExpiresAt": LEASE_ATTRS.expiresAt,
  "#leaseGrace": LEASE_ATTRS.grace,
};

/** The lease as a holder's write must find it: same owner and epoch, not yet expired at `now`. */
export const HOLDER_CONDITION =
  "#leaseOwner = :leaseOwner AND #leaseEpoch = :leaseEpoch AND #leaseExpiresAt > :now";
export const HOLDER_NAMES = {
  "#leaseOwner": LEASE_ATTRS.owner,
  "#leaseEpoch": LEASE_ATTRS.epoch,
  "#leaseExpiresAt": LEASE_ATTRS.expiresAt,
};

export function holderValues(lease: Lease, now: number): Item {
  return { ":leaseOwner": str(lease.owner), ":leaseEpoch": num(lease.epoch), ":now": num(now) };
}

/**
 * Free, expired, in a grace, or this owner's: take it and bump the epoch. The reply is the whole
 * item (as the acquire left it, or as it found it held), so it can serve as the turn's load too.
 */
export function acquireInput(
  table: string,
  actorId: string,
  owner: string,
  expiresAt: number,
  now: number,
): UpdateItemCommandInput {
  return {
    TableName: table,
    Key: stateKey(actorId),
    UpdateExpression:
      "SET #leaseOwner = :owner, #leaseExpiresAt = :expiresAt, #leaseGrace = :false, #leaseEpoch = if_not_exists(#leaseEpoch, :zero) + :one",
    ConditionExpression:
      "attribute_not_exists(#leaseEpoch) OR #leaseExpiresAt <= :now OR #leaseOwner = :owner OR #leaseGrace = :true",
    ExpressionAttributeNames: LEASE_NAMES,
    ExpressionAttributeValues: {
      ":owner": str(owner),
      ":expiresAt": num(expiresAt),
      ":now": num(now),
      ":zero": num(0),
      ":one": num(1),
      ":true": { BOOL: true },
      ":false": { BOOL: false },
    },
    ReturnValues: "ALL_NEW",
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  };
}

/** Sets the expiry of a lease this owner still holds (owner and epoch unchanged); never a grace. */
export function setExpiryInput(table: string, lease: Lease, expiresAt: number): UpdateItemCommandInput {
  return {
    TableName: table,
    Key: stateKey(lease.actorId),
    UpdateExpression: "SET #leaseExpiresAt = :expiresAt, #leaseGrace = :false",
    ConditionExpression: "#leaseOwner = :leaseOwner AND #leaseEpoch = :leaseEpoch",
    ExpressionAttributeNames: LEASE_NAMES,
    ExpressionAttributeValues: {
      ":leaseOwner": str(lease.owner),
      ":leaseEpoch": num(lease.epoch),
      ":expiresAt": num(expiresAt),
      ":false": { BOOL: false },
    },
  };
}

/** The lease attributes a committing write leaves on the state item. */
export function leaseAfterCommit(
  lease: Lease,
  commit: { release: boolean; graceUntil?: number | undefined },
): Item {
  const grace = commit.release && commit.graceUntil !== undefined;
  const expiresAt = commit.release ? (commit.graceUntil ?? 0) : lease.expiresAt;
  return {
    [LEASE_ATTRS.owner]: str(lease.owner),
    [LEASE_ATTRS.epoch]: num(lease.epoch),
    [LEASE_ATTRS.expiresAt]: num(expiresAt),
    [LEASE_ATTRS.grace]: { BOOL: grace },
  };
}

export interface StoredLease {
  owner: string | null;
  epoch: number | null;
  expiresAt: number;
  grace: boolean;
}

export function readLease(item: Item | undefined): StoredLease {
  return {
    owner: readString(item, LEASE_ATTRS.owner) ?? null,
    epoch: readNumber(item, LEASE_ATTRS.epoch) ?? null,
    expiresAt: readNumber(item, LEASE_ATTRS.expiresAt) ?? 0,
    grace: item?.[LEASE_ATTRS.grace]?.BOOL === true,
  };
}
