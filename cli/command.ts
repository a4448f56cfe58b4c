import type { Command } from "commander";
import type { CliContext } from "./context.ts";

/**
 * One CLI command: how it is declared to commander (arguments, options, help with examples) and
 * what it does. `run` gets parsed arguments and the injected context, so tests call it directly.
 */
export interface CommandModule {
  register(program: Command, run: (action: () => Promise<void>) => Promise<void>, ctx: CliContext): void;
}

/** Help text listing examples, appended to a command's --help. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;
}
