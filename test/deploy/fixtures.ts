import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { CliContext } from "../../cli/context.ts";
import { runCli } from "../../cli/main.ts";
import type { Prompts } from "../../cli/prompts.ts";
import type { ShellResult } from "../../cli/shell.ts";

export const REPO = resolve(import.meta.dir, "../..");
const BIN = join(REPO, "bin", "durable.js");

/** A freshly generated counter project in a temp dir, with a HOME that holds no AWS profile. */
export interface CounterProject extends AsyncDisposable {
  root: string;
  home: string;
}

export async function counterProject(): Promise<CounterProject> {
  const base = mkdtempSync(join(tmpdir(), "durable-deploy-"));
  const home = join(base, "home");
  mkdirSync(home);
  const root = join(base, "counter");
  const init = await runBin(["init", root, "--template", "counter", "--yes"], {
    cwd: base,
    env: bareEnv(home),
  });
  if (init.exitCode !== 0) throw new Error(`durable init failed (${init.exitCode}): ${init.stderr}`);
  return { root, home, [Symbol.asyncDispose]: async () => rmSync(base, { recursive: true, force: true }) };
}

/**
 * The environment of a machine with no AWS configuration: PATH (node, bun, npm) and a HOME without
 * ~/.aws, nothing else, so no AWS_* variable of the developer's shell leaks into a test.
 */
export function bareEnv(home: string): Record<string, string> {
  return { PATH: process.env.PATH ?? "", HOME: home, NO_COLOR: "1" };
}

/** `node bin/durable.js ...` as a user runs it. */
export function runBin(
  args: readonly string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<ShellResult> {
  return new Promise((done, fail) => {
    const child = spawn("node", [BIN, ...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
    });
    child.once("error", fail);
    child.once("close", (code) => done({ exitCode: code ?? 1, stdout, stderr }));
  });
}

export interface InProcessRun extends ShellResult {
  prompts: string[];
}

export interface InProcessOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  /** Answers to confirm prompts, in order; without any the context has no terminal. */
  confirms?: boolean[];
}

/** Runs the CLI in this process with an injected context (no TTY unless answers are given). */
export async function runInProcess(
  args: readonly string[],
  options: InProcessOptions,
): Promise<InProcessRun> {
  let stdout = "";
  let stderr = "";
  const asked: string[] = [];
  const answers = [...(options.confirms ?? [])];
  const prompts: Prompts = {
    interactive: options.confirms !== undefined,
    select: () => Promise.reject(new Error("unexpected select prompt")),
    text: () => Promise.reject(new Error("unexpected text prompt")),
    async confirm(message) {
      asked.push(message);
      const answer = answers.shift();
      if (answer === undefined) throw new Error(`unexpected confirm prompt: ${message}`);
      return answer;
    },
  };
  const ctx: CliContext = {
    cwd: options.cwd,
    env: options.env,
    stdout: {
      write: (t) => {
        stdout += t;
      },
    },
    stderr: {
      write: (t) => {
        stderr += t;
      },
    },
    isTTY: false,
    prompts,
    shell: { run: () => Promise.reject(new Error("no shell in deploy tests")) },
    signal: new AbortController().signal,
  };
  const exitCode = await runCli(args, ctx);
  return { exitCode, stdout, stderr, prompts: asked };
}
