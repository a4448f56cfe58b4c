import { LIMITS } from "../../core/limits.ts";

/**
 * Names shared by the aws adapter and the DurableFabric construct: the construct injects these
 * environment variables and creates the tables with these keys, the adapter reads them.
 * Keep this file free of AWS SDK imports so infra/ can import it cheaply.
 */
export const ENV = {
  stateTable: "DURABLE_STATE_TABLE",
  locksTable: "DURABLE_LOCKS_TABLE",
  workflowsTable: "DURABLE_WORKFLOWS_TABLE",
  queueUrl: "DURABLE_QUEUE_URL",
  queueArn: "DURABLE_QUEUE_ARN",
  delayQueueUrl: "DURABLE_DELAY_QUEUE_URL",
  busName: "DURABLE_BUS_NAME",
  scheduleGroup: "DURABLE_SCHEDULE_GROUP",
  schedulerRoleArn: "DURABLE_SCHEDULER_ROLE_ARN",
  schedulerDlqArn: "DURABLE_SCHEDULER_DLQ_ARN",
  maxReceives: "DURABLE_MAX_RECEIVES",
  leaseMs: "DURABLE_LEASE_MS",
  prefix: "DURABLE_PREFIX",
  /** The actor queue's FIFO DLQ, read by `deadLetters` (found through the redrive policy when unset). */
  queueDlqUrl: "DURABLE_QUEUE_DLQ_URL",
  /** Standard DLQ of signals EventBridge could not deliver or the function failed on. */
  signalDlqUrl: "DURABLE_SIGNAL_DLQ_URL",
  /** The bucket of states too large for a DynamoDB item; without it they are refused above 400 KB. */
  stateBucket: "DURABLE_STATE_BUCKET",
} as const;

export type FabricEnvName = (typeof ENV)[keyof typeof ENV];

/**
 * Optional, set on the function by the user (the construct does not inject it): how long a
 * container keeps an actor's lease after committing, for its next call. 0 turns the warm path off.
 */
export const WARM_GRACE_ENV = "DURABLE_WARM_GRACE_MS";

/** Key schema of the three tables. All keys are strings. */
export const TABLES = {
  /**
   * Actor state items (sk = "state"), processed-message markers (sk = "msg#<id>") and messages held
   * for a parked actor (sk = "wait#<padded sequence>", in delivery order).
   */
  state: {
    partitionKey: "pk",
    sortKey: "sk",
    ttlAttribute: "ttl",
    /**
     * A sparse index of the state items whose committed work is unfinished (an outbox not yet
     * relayed, or waiting messages of an unparked actor): the sweeper queries it instead of scanning.
     * Sharded so that no one partition takes every commit's index write.
     */
    strandedIndex: { name: "stranded", partitionKey: "strandedShard", sortKey: "strandedSince", shards: 16 },
    /**
     * Every actor's state item, keys only: `durable state list` and the inspector page through it by
     * parked, type and last active (see fleet-items.ts for the key and docs/scaling.md for its cost).
     * Sharded by actor id so that a popular type spreads over every shard; the sort key changes at
     * most once per actor per `bucketMs` (and when it parks or unparks), so a hot actor's commits
     * write nothing to the index.
     */
    fleetIndex: {
      name: "fleet",
      partitionKey: "fleetShard",
      sortKey: "fleetKey",
      shards: 16,
      bucketMs: 3_600_000,
    },
  },
  /** One lease record per actor, never deleted so its epoch stays monotonic. */
  locks: { partitionKey: "pk" },
  /** Workflow step records (pk = actor id, sk = "<run id>#<step key>"). */
  workflows: { partitionKey: "pk", sortKey: "sk", ttlAttribute: "ttl" },
} as const;

export const DEFAULTS = {
  maxReceives: 5,
  leaseMs: 30_000,
  /**
   * The warm grace: a container that just committed a turn keeps the actor (lease, state, version)
   * this long, so a call that reaches it again costs one write. Another container never waits for it.
   */
  warmGraceMs: 50,
  /** Markers and step records outlive the longest time a message can still be redelivered. */
  markerTtlDays: 14,
  /** A function timeout in seconds; the queue's visibility timeout is at least 6x this. */
  functionTimeoutSeconds: 30,
  /** Timers further out than this use EventBridge Scheduler; nearer ones the delay queue. */
  delayQueueMaxSeconds: 900,
  /** Stranded outboxes older than this are relayed by the sweeper (it runs every minute). */
  sweepOlderThanMs: 30_000,
} as const;

/**
 * The actor queue's redrive policy: SQS moves a message to the DLQ by itself only this long after
 * the fabric's last permitted delivery, as a backstop (see LIMITS.redriveSlackReceives).
 */
export function redriveMaxReceiveCount(maxReceives: number): number {
  return maxReceives + LIMITS.redriveSlackReceives;
}

/** The message attribute names the fabric puts on SQS messages. */
export const SQS_ATTRIBUTES = {
  actorType: "durableActorType",
  kind: "durableKind",
  /** Set when the adapter itself moves a message to the DLQ: why, after how many deliveries, when. */
  deadLetterReason: "durableDeadLetterReason",
  deadLetterReceiveCount: "durableDeadLetterReceiveCount",
  deadLetteredAt: "durableDeadLetteredAt",
} as const;

/** The EventBridge `source` of signals published by actors. */
export const SIGNAL_SOURCE = "durable.actor";
