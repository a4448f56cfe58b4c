import type { Command } from "commander";
import { type CommandModule, examples } from "../command.ts";
import { findProjectRoot } from "../config.ts";
import type { CliContext } from "../context.ts";
import { CliError } from "../errors.ts";

/** Runs the project's tests with the Bun that came with durable, so npm test needs nothing else. */
export async function runTest(args: string[], ctx: CliContext): Promise<void> {
  const root = findProjectRoot(ctx.cwd);
  const child = Bun.spawn({
    cmd: [process.execPath, "test", ...args],
    cwd: root,
    stdio: ["inherit", "inherit", "inherit"],
    env: { ...ctx.env },
  });
  // Stopped (or its parent gone), the test run stops too instead of running on unwatched.
  const stop = () => child.kill("SIGTERM");
  ctx.signal.addEventListener("abort", stop, { once: true });
  const code = await child.exited;
  ctx.signal.removeEventListener("abort", stop);
  if (code !== 0)
    throw new CliError("TESTS_FAILED", `tests failed (exit code ${code})`, {
      hint: "see the failures above",
    });
}

export const testCommand: CommandModule = {
  register(program: Command, run, ctx) {
    program
      .command("test")
      .description("run the project's tests (bun test, with the Bun that durable brings)")
      .argument("[args...]", "passed to bun test")
      .allowUnknownOption(true)
      .addHelpText(
        "after",
        examples("durable test", "durable test test/counter.test.ts", "durable test --watch", "npm test"),
      )
      .action((args: string[]) => run(() => runTest(args, ctx)));
  },
};
