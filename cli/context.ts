import { processLifecycle } from "./lifecycle.ts";
import { createPrompts, type Prompts } from "./prompts.ts";
import { bunShell, type Shell } from "./shell.ts";
import { fdWriter, isatty } from "./std-streams.ts";

export interface Writer {
  write(text: string): void;
}

/** Everything a command touches outside its arguments; tests pass their own to run the CLI in process. */
export interface CliContext {
  cwd: string;
  env: Record<string, string | undefined>;
  stdout: Writer;
  stderr: Writer;
  /** Whether stdout is a terminal (colours, spinners, prompts). */
  isTTY: boolean;
  prompts: Prompts;
  shell: Shell;
  /** Aborted on Ctrl-C, SIGTERM, SIGHUP or when the parent goes; long-running commands stop when it fires. */
  signal: AbortSignal;
  /** Standard input, for `--data -`. */
  stdin?: () => Promise<string>;
}

export function processContext(): CliContext {
  const isTTY = isatty(1);
  return {
    cwd: process.cwd(),
    env: process.env,
    stdout: fdWriter(1),
    stderr: fdWriter(2),
    isTTY,
    prompts: createPrompts(isTTY && isatty(0)),
    shell: bunShell,
    signal: processLifecycle(process.env),
    stdin: () => Bun.stdin.text(),
  };
}
