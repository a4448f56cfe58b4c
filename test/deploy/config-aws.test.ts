import { describe, expect, test } from "bun:test";
import { validateConfig } from "../../cli/config.ts";
import { ConfigError } from "../../cli/errors.ts";

describe("durable.config.ts aws.alarms and aws.tracing", () => {
  test("default: no alarm target and no tracing", () => {
    expect(validateConfig({ name: "app" }).aws).toMatchObject({ tracing: false, alarms: undefined });
  });

  test("a topic ARN or an email address is accepted as the alarm target, tracing as a boolean", () => {
    for (const alarms of ["arn:aws:sns:eu-west-1:123456789012:ops", "ops@example.com"]) {
      expect(validateConfig({ name: "app", aws: { alarms, tracing: true } }).aws).toMatchObject({
        alarms,
        tracing: true,
      });
    }
  });

  test("anything else is a ConfigError naming the key and both accepted forms, before any synth", () => {
    for (const alarms of [
      "ops-team",
      "arn:aws:sqs:eu-west-1:123456789012:q",
      "arn:aws:sns:eu-west-1:1:t",
      42,
    ]) {
      const error = (() => {
        try {
          validateConfig({ name: "app", aws: { alarms } });
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain("aws.alarms");
      expect((error as ConfigError).hint).toContain("arn:aws:sns:");
    }
    expect(() => validateConfig({ name: "app", aws: { tracing: "yes" } })).toThrow(
      "aws.tracing must be true or false",
    );
  });
});
