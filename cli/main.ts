#!/usr/bin/env bun
import type { CliContext } from "./context.ts";
import { parseInvokeArgv } from "./invoke-argv.ts";
import { cachedInvoke } from "./invoke-cache.ts";

export const VERSION = "0.1.0";

/**
 * A mistake the user can fix, from this CLI (CliError, a cancelled prompt) or from any copy of the
 * runtime (the CLI's or a project's): recognised by shape, so this file imports none of them and
 * starts fast.
 */
interface UserFacingError {
  code: string;
  message: string;
  hint?: string | undefined;
  userFacing: true;
}

function isUserError(error: unknown): error is UserFacingError {
  return (
    error instanceof Error &&
    typeof (error as Partial<UserFacingError>).code === "string" &&
    (error as Partial<UserFacingError>).userFacing === true
  );
}

/**
 * Runs the CLI and returns the exit code: 0 on success, 1 on a user error (one line: what, why,
 * what to do), 2 on a bug (with its stack). This file is the only place errors become output
 * (the full CLI, cli/program.ts, reports through `report`); with --json they are
 * `{ "error": { code, message, hint } }` on stdout, with the same exit codes.
 *
 * `durable invoke` in its usual forms skips commander (loading it takes about 10 ms, more than
 * the rest of a compiled invoke): its few flags are parsed by hand, and anything else (--help, a
 * mistake, an unusual form) goes to the full CLI, which answers it exactly as before.
 */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  if (argv[0] === "invoke") {
    const args = parseInvokeArgv(argv.slice(1));
    if (args) {
      try {
        const { runInvoke } = await import("./commands/invoke.ts");
        await runInvoke(args, ctx);
        return 0;
      } catch (error) {
        return report(error, ctx, wantsJson(argv));
      }
    }
  }
  const { runProgram } = await import("./program.ts");
  return runProgram(argv, ctx);
}

export function report(error: unknown, ctx: CliContext, json: boolean): number {
  if (isUserError(error)) {
    if (json) writeJsonError(ctx, error.code, error.message, error.hint);
    else ctx.stderr.write(`error: ${error.message}${error.hint ? ` (${error.hint})` : ""}\n`);
    return 1;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  const hint = "this is a bug in durable, please report it";
  if (json) writeJsonError(ctx, "INTERNAL", error instanceof Error ? error.message : String(error), hint);
  ctx.stderr.write(`internal error — ${hint}:\n${stack}\n`);
  return 2;
}

function writeJsonError(ctx: CliContext, code: string, message: string, hint: string | undefined): void {
  // One line: streaming commands (tail, logs, migrate) print JSON lines, and the error ends them.
  ctx.stdout.write(`${JSON.stringify({ error: { code, message, ...(hint ? { hint } : {}) } })}\n`);
}

export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).includes("--json");
}

/** The CLI as a process: `bun cli/main.ts <args>`, what bin/durable starts (and invoke-launch.ts falls back to). */
export async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const cached = cachedInvoke(argv, process.cwd(), import.meta.dir);
  if (cached?.cli) return cached.cli.runCli(argv, cached.cli.processContext());
  const { processContext } = await import("./context.ts");
  const code = await runCli(argv, processContext());
  // After the output: the project's next invoke then starts from the compiled bundle.
  if (cached && code === 0) await (await import("./invoke-compile.ts")).compileInvoke(cached.root);
  return code;
}

// No top-level await: this file is also part of the compiled bundle, which is CommonJS.
if (import.meta.main) void main().then((code) => process.exit(code));
