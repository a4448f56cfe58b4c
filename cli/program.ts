import { Command, CommanderError } from "commander";
import { type CommandModule, examples } from "./command.ts";
import type { CliContext } from "./context.ts";
import { CliError } from "./errors.ts";
import { report, VERSION, wantsJson } from "./main.ts";
import { nearest } from "./suggest.ts";

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
  ["inspect", async () => (await import("./commands/inspect.ts")).inspectCommand],
  ["migrate", async () => (await import("./commands/migrate.ts")).migrateCommand],
  ["logs", async () => (await import("./commands/logs.ts")).logsCommand],
  ["test", async () => (await import("./commands/test.ts")).testCommand],
  ["build", async () => (await import("./commands/build.ts")).buildCommand],
  ["deploy", async () => (await import("./commands/deploy.ts")).deployCommand],
  ["destroy", async () => (await import("./commands/destroy.ts")).destroyCommand],
];

/** The whole CLI, parsed by commander; cli/main.ts maps what it throws to output and exit codes. */
export async function runProgram(argv: readonly string[], ctx: CliContext): Promise<number> {
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
