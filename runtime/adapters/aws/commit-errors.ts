import type { CancellationReason } from "@aws-sdk/client-dynamodb";
import {
  LeaseLostError,
  StateTooLargeError,
  StoreBusyError,
  VersionConflictError,
} from "../../core/errors.ts";
import type { TurnCommit } from "../../ports/actor-store.ts";
import { COMMIT_ITEM, landed } from "./commit-write.ts";
import { isErrorNamed, storeError } from "./errors.ts";
import { type Item, readNumber } from "./json-attributes.ts";
import { readLease } from "./lease-items.ts";

/**
 * Turns a failed commit into the runtime's error without another read: with
 * ReturnValuesOnConditionCheckFailure=ALL_OLD, DynamoDB returns the state item as it was (for a
 * transaction, in the cancellation reasons), and that item says which condition failed. A lost
 * lease wins over a version conflict: the fenced holder must stop, not retry on the new version.
 * Returns null when the refused write was the SDK's retry of a commit that had landed (`mark` is
 * among the item's recent commits): the commit succeeded.
 */
export function commitError(error: unknown, commit: TurnCommit, mark: string): unknown {
  const actorId = commit.lease.actorId;
  if (isErrorNamed(error, "ConditionalCheckFailedException")) {
    const item = (error as { Item?: Item }).Item;
    return landed(item, mark) ? null : refusedBy(item, commit);
  }
  if (isErrorNamed(error, "TransactionCanceledException")) {
    const reasons = (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
    const state = reasons[COMMIT_ITEM.state];
    if (state?.Code === "ConditionalCheckFailed")
      return landed(state.Item, mark) ? null : refusedBy(state.Item, commit);
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
  if (isErrorNamed(error, "TransactionConflictException")) {
    return new StoreBusyError(`the commit of ${actorId} met a transaction in flight; nothing was written`, {
      hint: "the turn is retried",
      cause: error,
      details: { actorId, reason: "TransactionConflict" },
    });
  }
  return storeError(error, `commit of ${actorId}`);
}

/** Which of the state item's conditions refused the write: the holder's lease, or the version. */
function refusedBy(item: Item | undefined, commit: TurnCommit): LeaseLostError | VersionConflictError {
  const { lease, now } = commit;
  const stored = readLease(item);
  const ours = stored.epoch === lease.epoch && stored.owner === lease.owner;
  if (!ours || stored.expiresAt <= now) {
    const why = ours
      ? stored.expiresAt === 0
        ? "was released"
        : "expired before the commit"
      : "was taken over by a newer turn";
    return new LeaseLostError(`the lease on ${lease.actorId} ${why}; nothing was written`, {
      hint: "the turn is retried with a fresh lease",
      details: {
        actorId: lease.actorId,
        epoch: lease.epoch,
        currentEpoch: stored.epoch,
        expiresAt: stored.expiresAt,
        now,
      },
    });
  }
  const actual = readNumber(item, "version") ?? 0;
  return new VersionConflictError(
    `actor ${lease.actorId} is at version ${actual}, not ${commit.expectedVersion}; nothing was written`,
    {
      hint: "the turn is retried on the new version",
      details: { actorId: lease.actorId, expectedVersion: commit.expectedVersion, actualVersion: actual },
    },
  );
}
