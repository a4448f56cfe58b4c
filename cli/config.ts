import { join } from "node:path";
import { EMAIL, TOPIC_ARN } from "../infra/alarm-targets.ts";
import type { DurableConfig } from "../runtime/config.ts";
import { ConfigError, ProjectNotFoundError } from "./errors.ts";
import { CONFIG_FILE, projectRootOf } from "./project-root.ts";

export { CONFIG_FILE } from "./project-root.ts";

export interface ResolvedConfig {
  name: string;
  actors: string[];
  dev: { port: number; durability: "normal" | "full" };
  aws: {
    region: string | undefined;
    memoryMb: number;
    timeoutSeconds: number;
    maxConcurrency: number;
    tracing: boolean;
    alarms: string | undefined;
  };
}

/** The nearest folder at or above `cwd` that holds a durable.config.ts. */
export function findProjectRoot(cwd: string): string {
  const root = projectRootOf(cwd);
  if (root === undefined) throw new ProjectNotFoundError(cwd);
  return root;
}

export async function loadConfig(root: string): Promise<ResolvedConfig> {
  const file = join(root, CONFIG_FILE);
  let loaded: unknown;
  try {
    loaded = ((await import(file)) as { default?: unknown }).default;
  } catch (cause) {
    throw new ConfigError(
      `${CONFIG_FILE} could not be loaded: ${(cause as Error).message}`,
      "fix the error in the file",
    );
  }
  return validateConfig(loaded);
}

const NAME = /^[A-Za-z][A-Za-z0-9-]{0,39}$/;

export function validateConfig(value: unknown): ResolvedConfig {
  if (typeof value !== "object" || value === null) {
    throw new ConfigError(`${CONFIG_FILE} must default-export defineConfig({ name: ... })`);
  }
  const c = value as DurableConfig;
  if (typeof c.name !== "string" || !NAME.test(c.name)) {
    throw new ConfigError(
      `${CONFIG_FILE}: name ${JSON.stringify(c.name)} is not valid`,
      "use letters, digits and -, starting with a letter (max 40)",
    );
  }
  const actors = c.actors ?? ["actors"];
  if (!Array.isArray(actors) || actors.some((a) => typeof a !== "string")) {
    throw new ConfigError(`${CONFIG_FILE}: actors must be a list of files or folders`);
  }
  const port = c.dev?.port ?? 8787;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`${CONFIG_FILE}: dev.port ${port} is not a port`);
  const durability = c.dev?.durability ?? "normal";
  if (durability !== "normal" && durability !== "full")
    throw new ConfigError(`${CONFIG_FILE}: dev.durability must be "normal" or "full"`);
  const aws = c.aws ?? {};
  const timeoutSeconds = aws.timeoutSeconds ?? 30;
  const memoryMb = aws.memoryMb ?? 512;
  const maxConcurrency = aws.maxConcurrency ?? 10;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 3 || timeoutSeconds > 900) {
    throw new ConfigError(`${CONFIG_FILE}: aws.timeoutSeconds must be 3-900`);
  }
  if (!Number.isInteger(memoryMb) || memoryMb < 128 || memoryMb > 10240)
    throw new ConfigError(`${CONFIG_FILE}: aws.memoryMb must be 128-10240`);
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 2 || maxConcurrency > 1000) {
    throw new ConfigError(`${CONFIG_FILE}: aws.maxConcurrency must be 2-1000`);
  }
  const tracing = aws.tracing ?? false;
  if (typeof tracing !== "boolean")
    throw new ConfigError(`${CONFIG_FILE}: aws.tracing must be true or false`);
  const alarms = aws.alarms;
  if (
    alarms !== undefined &&
    (typeof alarms !== "string" || !(TOPIC_ARN.test(alarms) || EMAIL.test(alarms)))
  ) {
    throw new ConfigError(
      `${CONFIG_FILE}: aws.alarms ${JSON.stringify(alarms)} is neither an SNS topic ARN nor an email address`,
      'use "arn:aws:sns:<region>:<account>:<topic>" or an address such as "ops@example.com"',
    );
  }
  return {
    name: c.name,
    actors,
    dev: { port, durability },
    aws: { region: aws.region, memoryMb, timeoutSeconds, maxConcurrency, tracing, alarms },
  };
}
