import { createHash } from "node:crypto";
import { Token } from "aws-cdk-lib";
import { FabricConfigError } from "./errors.ts";

/**
 * Physical names derived from the fabric prefix. They are deterministic so a stage can be found
 * by name (the CLI, moto, a second deploy) and so the signal rule can point at the bus by name.
 */
export interface FabricNames {
  stateTable: string;
  locksTable: string;
  workflowsTable: string;
  queue: string;
  queueDlq: string;
  delayQueue: string;
  timerDlq: string;
  /** Standard DLQ of signal deliveries: the rule target's and the function's async invokes. */
  signalDlq: string;
  bus: string;
  scheduleGroup: string;
  signalRule: string;
  /** The schedule rule that invokes the sweeper every minute. */
  sweepRule: string;
  /** Named so pending schedules keep a role to deliver with across a destroy and redeploy. */
  schedulerRole: string;
  /** The SNS topic the fabric creates when alarms go to an email address. */
  alarmTopic: string;
  queueDlqAlarm: string;
  timerDlqAlarm: string;
  signalDlqAlarm: string;
  queueDlqAgeAlarm: string;
  timerDlqAgeAlarm: string;
  signalDlqAgeAlarm: string;
  parkedAlarm: string;
  functionErrorsAlarm: string;
}

// The longest derived name is "<prefix>-actors-dlq.fifo"; SQS allows 80 characters, Lambda
// function names built from the prefix by the app allow 64.
const PREFIX_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,47}$/;

export function validatePrefix(prefix: string): void {
  if (Token.isUnresolved(prefix)) {
    throw new FabricConfigError("The fabric prefix must be a literal string, not a token.", {
      hint: "Physical names (queues, bus, tables) are derived from it at synth time.",
    });
  }
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new FabricConfigError(`Invalid fabric prefix "${prefix}".`, {
      hint: "Use 1-48 characters: a letter, then letters, digits or hyphens (e.g. MyApp-dev).",
    });
  }
}

/** S3 bucket names are at most 63 characters: the prefix part is cut (with a hash of the whole) to fit. */
const BUCKET_BASE_MAX = 35;

/**
 * The large-state bucket's name: bucket names are global, so it carries the account and region
 * (tokens in an environment-agnostic stack), and lowercase. Deterministic, so a kept stage's
 * bucket is found again by name after `durable destroy`.
 * @example stateBucketName("Orders-prod", "123456789012", "eu-west-1") // "orders-prod-state-123456789012-eu-west-1"
 */
export function stateBucketName(prefix: string, account: string, region: string): string {
  validatePrefix(prefix);
  const lower = `${prefix.toLowerCase()}-state`;
  const base =
    lower.length <= BUCKET_BASE_MAX
      ? lower
      : `${lower.slice(0, BUCKET_BASE_MAX - 9)}-${createHash("sha256").update(prefix).digest("hex").slice(0, 8)}`;
  return `${base}-${account}-${region}`;
}

export function fabricNames(prefix: string): FabricNames {
  validatePrefix(prefix);
  return {
    stateTable: `${prefix}-State`,
    locksTable: `${prefix}-Locks`,
    workflowsTable: `${prefix}-Workflows`,
    queue: `${prefix}-actors.fifo`,
    queueDlq: `${prefix}-actors-dlq.fifo`,
    delayQueue: `${prefix}-timers`,
    timerDlq: `${prefix}-timers-dlq`,
    signalDlq: `${prefix}-signals-dlq`,
    bus: `${prefix}-signals`,
    scheduleGroup: `${prefix}-timers`,
    signalRule: `${prefix}-actor-signals`,
    sweepRule: `${prefix}-sweep`,
    schedulerRole: `${prefix}-scheduler`,
    alarmTopic: `${prefix}-alarms`,
    queueDlqAlarm: `${prefix}-actors-dlq-depth`,
    timerDlqAlarm: `${prefix}-timers-dlq-depth`,
    signalDlqAlarm: `${prefix}-signals-dlq-depth`,
    queueDlqAgeAlarm: `${prefix}-actors-dlq-age`,
    timerDlqAgeAlarm: `${prefix}-timers-dlq-age`,
    signalDlqAgeAlarm: `${prefix}-signals-dlq-age`,
    parkedAlarm: `${prefix}-actors-parked`,
    functionErrorsAlarm: `${prefix}-function-errors`,
  };
}
