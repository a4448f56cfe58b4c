import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JsonValue } from "../../runtime/core/json.ts";

export const REPO_ROOT = join(import.meta.dir, "..", "..");
/** The `durable` bin as npm installs it (a POSIX sh launcher that execs Bun). */
export const DURABLE_BIN = join(REPO_ROOT, "bin", "durable");

export const TEMPLATE_NAMES = [
  "counter",
  "rate-limiter",
  "leaderboard",
  "order-processing",
  "distributed-cron",
  "circuit-breaker",
] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** A temp directory removed when disposed (`await using`), or explicitly in afterAll. */
export interface TempDir extends AsyncDisposable {
  readonly path: string;
}

export async function tempDir(prefix: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * The environment a user's shell would give: no TTY (pipes), no colours, and npm's update check
 * off so a machine without internet does not wait for it.
 */
export const CLI_ENV: Record<string, string | undefined> = {
  ...process.env,
  NO_COLOR: "1",
  npm_config_update_notifier: "false",
  npm_config_fund: "false",
  npm_config_audit: "false",
};

/** Runs a command to completion with piped stdio (so never a TTY). */
export async function run(cmd: readonly string[], cwd: string): Promise<RunResult> {
  const started = performance.now();
  const child = Bun.spawn({
    cmd: [...cmd],
    cwd,
    env: CLI_ENV,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, stdout, stderr, ms: Math.round(performance.now() - started) };
}

/** `npx durable <args> --json` inside a generated project: its JSON output, or a thrown error with stderr. */
export async function npxDurable<T extends JsonValue = JsonValue>(
  project: string,
  args: readonly string[],
): Promise<T> {
  const result = await run(["npx", "durable", ...args, "--json"], project);
  if (result.code !== 0) {
    throw new Error(
      `npx durable ${args.join(" ")} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
  return JSON.parse(result.stdout) as T;
}

/** The result of a sync `npx durable invoke`. */
export async function invoke<T extends JsonValue = JsonValue>(
  project: string,
  actorId: string,
  handler: string,
  data?: JsonValue,
): Promise<T> {
  const args = [
    "invoke",
    actorId,
    handler,
    "--sync",
    ...(data === undefined ? [] : ["--data", JSON.stringify(data)]),
  ];
  const response = await npxDurable<{ result: T }>(project, args);
  return response.result;
}

/** The committed state of an actor through `npx durable state get`. */
export async function stateOf<T extends JsonValue = JsonValue>(
  project: string,
  actorId: string,
): Promise<{ state: T; version: number; timers: Record<string, { at: string }> }> {
  return npxDurable(project, ["state", "get", actorId]);
}

/** Runs tasks with at most `concurrency` at a time: inits and test runs share two CPUs. */
export function limiter(concurrency: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
