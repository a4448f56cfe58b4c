/** The typed shape of a project's durable.config.ts, read once and shared by dev, build and deploy. */
export interface DurableConfig {
  /** The app's name: prefixes every AWS resource (letters, digits, "-"). */
  name: string;
  /** Files or folders (relative to the project) whose exports are actor definitions. Default ["actors"]. */
  actors?: string[];
  dev?: {
    /** Port of `durable dev` on 127.0.0.1. Default 8787; 0 picks a free port. */
    port?: number;
    /**
     * "normal" (default): SQLite WAL without an fsync per commit — a crashed process loses
     * nothing, a power cut may lose the last commits. "full": fsync every commit (~20x slower).
     */
    durability?: "normal" | "full";
  };
  aws?: {
    /** The region when AWS_REGION is not set. */
    region?: string;
    memoryMb?: number;
    timeoutSeconds?: number;
    /** The most concurrent Lambda invocations the queue may drive. */
    maxConcurrency?: number;
    /** X-Ray active tracing of the function. Default false (each trace is billed). */
    tracing?: boolean;
    /**
     * Where every alarm notifies: an SNS topic ARN ("arn:aws:sns:<region>:<account>:<topic>"), or
     * an email address, for which the stack creates a topic and an email subscription (AWS mails a
     * confirmation link first). Default: alarms notify no one.
     */
    alarms?: string;
  };
}

/**
 * @example
 * export default defineConfig({ name: "counter", actors: ["actors"] });
 */
export function defineConfig(config: DurableConfig): DurableConfig {
  return config;
}
