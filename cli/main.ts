#!/usr/bin/env bun
import { Command, CommanderError } from "commander";
import type { CommandModule } from "./command.ts";
import { buildCommand } from "./commands/build.ts";
import { deployCommand } from "./commands/deploy.ts";
import { destroyCommand } from "./commands/destroy.ts";
import { devCommand } from "./commands/dev.ts";
import { dlqCommand } from "./commands/dlq.ts";
import { initCommand } from "./commands/init.ts";
import { invokeCommand } from "./commands/invoke.ts";
import { logsCommand } from "./commands/logs.ts";
import { stateCommand } from "./commands/state.ts";
import { testCommand } from "./commands/test.ts";
import { type CliContext, processContext } from "./context.ts";
import { CliError } from "./errors.ts";
import { PromptCancelledError } from "./prompts.ts";

export const VERSION = "0.1.0";

const COMMANDS: CommandModule[] = [
  initCommand,
  devCommand,
  invokeCommand,
  stateCommand,
  dlqCommand,
  logsCommand,
  testCommand,
  buildCommand,
  deployCommand,
  destroyCommand,
];

/** Runtime errors from any copy of the runtime (the CLI's or a project's) are recognised by shape. */
interface UserFacingError {
  code: string;
  message: string;
  hint?: string | undefined;
  userFacing: boolean;
}

function asUserError(error: unknown): UserFacingError | undefined {
  if (error instanceof CliError)
    return { code: error.code, message: error.message, hint: error.hint, userFacing: true };
  if (
    error instanceof Error &&
    typeof (error as Partial<UserFacingError>).code === "string" &&
    (error as Partial<UserFacingError>).userFacing === true
  ) {
    return error as unknown as UserFacingError;
  }
  return undefined;
}

/**
 * Runs the CLI and returns the exit code: 0 on success, 1 on a user error (one line: what, why,
 * what to do), 2 on a bug (with its stack). This is the only place errors become output.
 */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  const program = new Command("durable")
    .description("Stateful actors on AWS Lambda with the guarantees of Durable Objects")
    .version(VERSION, "-v, --version")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
      outputError: (s, write) => write(s),
    });
  let exitCode = 0;
  const run = async (action: () => Promise<void>) => {
    try {
      await action();
    } catch (error) {
      exitCode = report(error, ctx);
    }
  };
  for (const command of COMMANDS) command.register(program, run, ctx);
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; a usage error already printed its line.
      return error.exitCode === 0 ? 0 : 1;
    }
    return report(error, ctx);
  }
  return exitCode;
}

function report(error: unknown, ctx: CliContext): number {
  if (error instanceof PromptCancelledError) {
    ctx.stderr.write("cancelled\n");
    return 1;
  }
  const user = asUserError(error);
  if (user) {
    const hint = user.hint ? ` (${user.hint})` : "";
    ctx.stderr.write(`error: ${user.message}${hint}\n`);
    return 1;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  ctx.stderr.write(`internal error — this is a bug in durable, please report it:\n${stack}\n`);
  return 2;
}

if (import.meta.main) {
  const code = await runCli(process.argv.slice(2), processContext());
  process.exit(code);
}
