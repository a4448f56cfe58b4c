import { describe, expect, test } from "bun:test";
import { DEFAULTS, ENV } from "../../runtime/adapters/aws/config.ts";
import { createAwsPorts } from "../../runtime/adapters/aws/create-aws-ports.ts";
import {
  type AwsFabricSettings,
  readAwsSettings,
  settingsToEnv,
} from "../../runtime/adapters/aws/settings.ts";

const settings: AwsFabricSettings = {
  stateTable: "s",
  locksTable: "l",
  workflowsTable: "w",
  queueUrl: "https://sqs.eu-west-1.amazonaws.com/1/q.fifo",
  queueArn: "arn:aws:sqs:eu-west-1:1:q.fifo",
  queueDlqUrl: "https://sqs.eu-west-1.amazonaws.com/1/dlq.fifo",
  delayQueueUrl: "https://sqs.eu-west-1.amazonaws.com/1/delay",
  busName: "bus",
  scheduleGroup: "group",
  schedulerRoleArn: "arn:aws:iam::1:role/r",
  schedulerDlqArn: "arn:aws:sqs:eu-west-1:1:timer-dlq",
  maxReceives: 7,
  leaseMs: 12_000,
};

describe("aws settings", () => {
  test("reads back from the environment exactly what settingsToEnv wrote", () => {
    expect(readAwsSettings(settingsToEnv(settings))).toEqual(settings);
  });

  test("defaults maxReceives and the lease length when the construct sets neither", () => {
    const env = settingsToEnv(settings);
    delete env[ENV.maxReceives];
    delete env[ENV.leaseMs];
    expect(readAwsSettings(env)).toMatchObject({
      maxReceives: DEFAULTS.maxReceives,
      leaseMs: DEFAULTS.leaseMs,
    });
  });

  test("names the missing variable when a table or the queue is not configured", () => {
    const env = settingsToEnv(settings);
    delete env[ENV.locksTable];
    expect(() => readAwsSettings(env)).toThrow(ENV.locksTable);
  });

  test("refuses a maxReceives that is not a positive integer", () => {
    expect(() => readAwsSettings({ ...settingsToEnv(settings), [ENV.maxReceives]: "zero" })).toThrow(
      ENV.maxReceives,
    );
  });

  test("builds every port from the environment alone, as the Lambda entry does", () => {
    const ports = createAwsPorts({ env: settingsToEnv(settings) });
    expect(ports.settings).toEqual(settings);
    expect(ports.queue.maxReceives).toBe(7);
    for (const port of [ports.store, ports.steps, ports.queue, ports.timers, ports.signals])
      expect(port).toBeDefined();
  });
});
