import type { CliContext } from "../../cli/context.ts";

export interface CapturedContext {
  ctx: CliContext;
  /** Everything the command wrote to stdout and stderr, in order. */
  output(): string;
}

/**
 * A CliContext for running a long-lived command (durable inspect, durable dev) in this process:
 * no terminal, no prompts, no shell, its output captured, stopped by aborting `signal`.
 */
export function capturedContext(
  cwd: string,
  env: Record<string, string>,
  signal: AbortSignal,
): CapturedContext {
  let output = "";
  const writer = {
    write: (text: string) => {
      output += text;
    },
  };
  const refuse = () => Promise.reject(new Error("no prompts in this test"));
  return {
    ctx: {
      cwd,
      env,
      stdout: writer,
      stderr: writer,
      isTTY: false,
      prompts: { interactive: false, select: refuse, text: refuse, confirm: refuse },
      shell: { run: () => Promise.reject(new Error("no shell in this test")) },
      signal,
    },
    output: () => output,
  };
}
