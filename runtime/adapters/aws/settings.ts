import { DEFAULTS, ENV } from "./config.ts";

/** Where the fabric's resources are, as the DurableFabric construct injects them. */
export interface AwsFabricSettings {
  stateTable: string;
  locksTable: string;
  workflowsTable: string;
  queueUrl: string;
  /** Scheduler's target; needed only for timers that go through EventBridge Scheduler. */
  queueArn?: string | undefined;
  queueDlqUrl?: string | undefined;
  /** Standard queue for timers under 15 minutes; without it every future timer uses Scheduler. */
  delayQueueUrl?: string | undefined;
  busName?: string | undefined;
  scheduleGroup?: string | undefined;
  schedulerRoleArn?: string | undefined;
  schedulerDlqArn?: string | undefined;
  /** Large states (over a DynamoDB item) go here; without it they are refused with StateTooLargeError. */
  stateBucket?: string | undefined;
  maxReceives: number;
  leaseMs: number;
}

export type EnvSource = Readonly<Record<string, string | undefined>>;

/**
 * Reads the settings once from the environment. A missing table or queue is a deployment bug, so it
 * fails at start-up naming the variable rather than on the first request.
 * @example const settings = readAwsSettings(process.env);
 */
export function readAwsSettings(env: EnvSource = process.env): AwsFabricSettings {
  const required = (name: string): string => {
    const value = env[name];
    if (!value)
      throw new Error(`environment variable ${name} is not set; the DurableFabric construct sets it`);
    return value;
  };
  const optional = (name: string): string | undefined => env[name] || undefined;
  return {
    stateTable: required(ENV.stateTable),
    locksTable: required(ENV.locksTable),
    workflowsTable: required(ENV.workflowsTable),
    queueUrl: required(ENV.queueUrl),
    queueArn: optional(ENV.queueArn),
    queueDlqUrl: optional(ENV.queueDlqUrl),
    delayQueueUrl: optional(ENV.delayQueueUrl),
    busName: optional(ENV.busName),
    scheduleGroup: optional(ENV.scheduleGroup),
    schedulerRoleArn: optional(ENV.schedulerRoleArn),
    schedulerDlqArn: optional(ENV.schedulerDlqArn),
    stateBucket: optional(ENV.stateBucket),
    maxReceives: positiveInt(env[ENV.maxReceives], DEFAULTS.maxReceives, ENV.maxReceives),
    leaseMs: positiveInt(env[ENV.leaseMs], DEFAULTS.leaseMs, ENV.leaseMs),
  };
}

/** The environment that yields `settings` (what a test hands a Lambda handler, or the construct injects). */
export function settingsToEnv(settings: AwsFabricSettings): Record<string, string> {
  const env: Record<string, string> = {
    [ENV.stateTable]: settings.stateTable,
    [ENV.locksTable]: settings.locksTable,
    [ENV.workflowsTable]: settings.workflowsTable,
    [ENV.queueUrl]: settings.queueUrl,
    [ENV.maxReceives]: String(settings.maxReceives),
    [ENV.leaseMs]: String(settings.leaseMs),
  };
  const optional: [string, string | undefined][] = [
    [ENV.queueArn, settings.queueArn],
    [ENV.queueDlqUrl, settings.queueDlqUrl],
    [ENV.delayQueueUrl, settings.delayQueueUrl],
    [ENV.busName, settings.busName],
    [ENV.scheduleGroup, settings.scheduleGroup],
    [ENV.schedulerRoleArn, settings.schedulerRoleArn],
    [ENV.schedulerDlqArn, settings.schedulerDlqArn],
    [ENV.stateBucket, settings.stateBucket],
  ];
  for (const [name, value] of optional) if (value) env[name] = value;
  return env;
}

function positiveInt(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`environment variable ${name} must be a positive integer, got "${raw}"`);
  return value;
}
