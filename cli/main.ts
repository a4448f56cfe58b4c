#!/usr/bin/env bun
import type { Command, CommanderError } from "commander";
import { type CommandModule, examples } from "./command.ts";
import type { CliContext } from "./context.ts";
import { CliError } from "./errors.ts";
import { PromptCancelledError } from "./prompts.ts";
import { nearest } from "./suggest.ts";

export const VERSION = "0.1.0";

/**
 * Each command is imported only when it runs (or for --help): a single `durable invoke` should not
 * pay for loading dev's server, init's scaffolding or deploy's declarations.
 */
const COMMANDS: [name: string, load: () => Promise<CommandModule>][] = [
  ["init", async () => (await import("./commands/init.ts")).initCommand],
  ["dev", async () => (await import("./commands/dev.ts")).devCommand],
  ["invoke", async () => (await import("./commands/invoke.ts")).invokeCommand],
  ["state", async () => (await import("./commands/state.ts")).stateCommand],
  ["dlq", async () => (await import("./commands/dlq.ts")).dlqCommand],
  ["migrate", async () => (await import("./commands/migrate.ts")).migrateCommand],
  ["logs", async () => (await import("./commands/logs.ts")).logsCommand],
  ["test", async () => (await import("./commands/test.ts")).testCommand],
  ["build", async () => (await import("./commands/build.ts")).buildCommand],
  ["deploy", async () => (await import("./commands/deploy.ts")).deployCommand],
  ["destroy", async () => (await import("./commands/destroy.ts")).destroyCommand],
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
  if (error instanceof PromptCancelledError)
    return { code: "CANCELLED", message: "cancelled", hint: undefined, userFacing: true };
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
 * what to do), 2 on a bug (with its stack). This is the only place errors become output; with
 * --json they are `{ "error": { code, message, hint } }` on stdout, with the same exit codes.
 *
 * `durable invoke` in its usual forms skips commander (loading it is about 10 ms, as much as the
 * invoke itself): its few flags are parsed by hand, and anything else (--help, a mistake, an
 * unusual form) goes to the full CLI, which answers it exactly as before.
 */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  if (argv[0] === "invoke") {
    const { parseInvokeArgv, runInvoke } = await import("./commands/invoke.ts");
    const args = parseInvokeArgv(argv.slice(1));
    if (args) {
      try {
        await runInvoke(args, ctx);
        return 0;
      } catch (error) {
        return report(error, ctx, wantsJson(argv));
      }
    }
  }
  return runProgram(argv, ctx);
}

/** The whole CLI, parsed by commander. */
export async function runProgram(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { Command, CommanderError } = await import("commander");
  const json = wantsJson(argv);
  let commanderMessage = "";
  const program = new Command("durable")
    .description("Stateful actors on AWS Lambda with the guarantees of Durable Objects")
    .version(VERSION, "-v, --version")
    .exitOverride()
    // Ours (usageError) always names the nearest; commander's stays silent when nothing is close.
    .showSuggestionAfterError(false)
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
      outputError: (s) => {
        commanderMessage = s;
      },
    })
    .addHelpText(
      "after",
      examples(
        "durable init my-app --template counter",
        "durable dev",
        "durable invoke counter-1 --sync",
        "durable state get counter-1",
        "durable deploy --stage prod",
        "durable <command> --help",
      ),
    );
  let exitCode = 0;
  const run = async (action: () => Promise<void>) => {
    try {
      await action();
    } catch (error) {
      exitCode = report(error, ctx, json);
    }
  };
  const named = COMMANDS.find(([name]) => name === firstOperand(argv));
  const modules = await Promise.all((named ? [named] : COMMANDS).map(([, load]) => load()));
  for (const command of modules) command.register(program, run, ctx);
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) return report(error, ctx, json);
    // --help and --version "fail" with exit code 0.
    if (error.exitCode === 0) return 0;
    // Help printed because a command was missing (`durable`, `durable state`).
    if (error.code === "commander.help" || error.code === "commander.helpDisplayed") {
      return json
        ? report(new CliError("USAGE", "no command given", { hint: "durable --help" }), ctx, json)
        : 1;
    }
    return report(usageError(error, commanderMessage, program, argv), ctx, json);
  }
  return exitCode;
}

function report(error: unknown, ctx: CliContext, json: boolean): number {
  const user = asUserError(error);
  if (user) {
    if (json) writeJsonError(ctx, user.code, user.message, user.hint);
    else ctx.stderr.write(`error: ${user.message}${user.hint ? ` (${user.hint})` : ""}\n`);
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

/** Commander's parse errors, with the nearest command or option suggested however far it is. */
function usageError(error: CommanderError, printed: string, program: Command, argv: readonly string[]) {
  const message = (printed || error.message).trim().replace(/^error: /, "");
  const command = deepestCommand(program, argv);
  const path = command === program ? "durable" : `durable ${commandPath(command)}`;
  if (error.code === "commander.unknownCommand") {
    const names = command.commands.map((c) => c.name());
    const word = message.match(/'([^']*)'/)?.[1] ?? "";
    const guess = nearest(word, names);
    return new CliError("UNKNOWN_COMMAND", message, {
      hint: `${guess ? `did you mean \`${path} ${guess}\`? ` : ""}\`${path} --help\` lists the commands`,
    });
  }
  if (error.code === "commander.unknownOption") {
    const flag = message.match(/'([^']*)'/)?.[1] ?? "";
    const flags = command.options.map((o) => o.long).filter((f): f is string => f !== undefined);
    const guess = nearest(flag, [...flags, "--help"]);
    return new CliError("UNKNOWN_OPTION", message, {
      hint: `${guess ? `did you mean ${guess}? ` : ""}\`${path} --help\` lists the options`,
    });
  }
  return new CliError("USAGE", message, { hint: `see \`${path} --help\`` });
}

/** The command the arguments name, as deep as they go (e.g. `state get`). */
function deepestCommand(program: Command, argv: readonly string[]): Command {
  let command = program;
  for (const arg of argv) {
    if (arg === "--") break;
    if (arg.startsWith("-")) continue;
    const sub = command.commands.find((c) => c.name() === arg);
    if (!sub) break;
    command = sub;
  }
  return command;
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

function firstOperand(argv: readonly string[]): string | undefined {
  return argv.find((a) => !a.startsWith("-"));
}

function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).includes("--json");
}

if (import.meta.main) {
  const { processContext } = await import("./context.ts");
  const code = await runCli(process.argv.slice(2), processContext());
  process.exit(code);
}
