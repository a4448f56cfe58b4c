import type { CancellationReason } from "@aws-sdk/client-dynamodb";
import {
  LeaseLostError,
  StateTooLargeError,
  StoreBusyError,
  VersionConflictError,
} from "../../core/errors.ts";
import type { TurnCommit } from "../../ports/actor-store.ts";
import { isErrorNamed, storeError } from "./errors.ts";
import { readNumber, readString } from "./json-attributes.ts";

/** Positions of the items in a commit's TransactWriteItems (markers follow). */
export const COMMIT_ITEM = { state: 0, lease: 1, firstMarker: 2 } as const;

/**
 * Turns a failed commit into the runtime's error without another read: with
 * ReturnValuesOnConditionCheckFailure=ALL_OLD, the cancellation reasons say which condition failed
 * and carry the item as it was. A lost lease wins over a version conflict: the fenced holder must
 * stop, not retry on the new version.
 */
export function commitError(error: unknown, commit: TurnCommit): unknown {
  const actorId = commit.lease.actorId;
  if (isErrorNamed(error, "TransactionCanceledException")) {
    const reasons = (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
    const code = (index: number): string | undefined => reasons[index]?.Code;
    if (code(COMMIT_ITEM.lease) === "ConditionalCheckFailed")
      return leaseLost(commit, reasons[COMMIT_ITEM.lease]);
    if (code(COMMIT_ITEM.state) === "ConditionalCheckFailed") {
      const actual = readNumber(reasons[COMMIT_ITEM.state]?.Item, "version") ?? 0;
      return new VersionConflictError(
        `actor ${actorId} is at version ${actual}, not ${commit.expectedVersion}; nothing was written`,
        {
          hint: "the turn is retried on the new version",
          details: { actorId, expectedVersion: commit.expectedVersion, actualVersion: actual },
        },
      );
    }
    const markerIndex = reasons.findIndex(
      (r, i) => i >= COMMIT_ITEM.firstMarker && r.Code === "ConditionalCheckFailed",
    );
    if (markerIndex >= 0) {
      const messageId = commit.markers[markerIndex - COMMIT_ITEM.firstMarker]?.messageId;
      return new VersionConflictError(
        `message ${messageId} to ${actorId} was already processed; nothing was written`,
        {
          hint: "the turn is retried and answers from the recorded result",
          details: { actorId, messageId },
        },
      );
    }
    // Another transaction touched one of the items at the same moment, or DynamoDB throttled one
    // of them: nothing was written, and the turn is retried after a short backoff.
    const busy = reasons.find((r) =>
      ["TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"].includes(r.Code ?? ""),
    );
    if (busy) {
      return new StoreBusyError(
        `the commit of ${actorId} was cancelled (${busy.Code}); nothing was written`,
        {
          hint: "the turn is retried",
          cause: error,
          details: { actorId, reason: busy.Code },
        },
      );
    }
    if (reasons.some((r) => r.Code === "ValidationError" && /size/i.test(r.Message ?? ""))) {
      return new StateTooLargeError(
        `the turn on ${actorId} is too large for DynamoDB: ${reasons.map((r) => r.Message).join("; ")}`,
        {
          cause: error,
          details: { actorId },
        },
      );
    }
  }
  return storeError(error, `commit of ${actorId}`);
}

function leaseLost(commit: TurnCommit, reason: CancellationReason | undefined): LeaseLostError {
  const { lease, now } = commit;
  const currentEpoch = readNumber(reason?.Item, "epoch") ?? null;
  const currentOwner = readString(reason?.Item, "owner") ?? null;
  const expiresAt = readNumber(reason?.Item, "expiresAt") ?? 0;
  const ours = currentEpoch === lease.epoch && currentOwner === lease.owner;
  const why = ours
    ? expiresAt === 0
      ? "was released"
      : "expired before the commit"
    : "was taken over by a newer turn";
  return new LeaseLostError(`the lease on ${lease.actorId} ${why}; nothing was written`, {
    hint: "the turn is retried with a fresh lease",
    details: { actorId: lease.actorId, epoch: lease.epoch, currentEpoch, expiresAt, now },
  });
}
