export interface ShellResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs external programs (git, npm). Injected so tests can observe or replace it. */
export interface Shell {
  run(
    command: readonly string[],
    options: { cwd: string; env?: Record<string, string | undefined> },
  ): Promise<ShellResult>;
}

/** The real shell: Bun's `$`, which escapes every argument (reached through `Bun` when first used: importing it costs every command a few ms). */
export const bunShell: Shell = {
  async run(command, options) {
    const env = options.env ? { ...process.env, ...options.env } : process.env;
    const result = await Bun.$`${command}`.cwd(options.cwd).env(env).quiet().nothrow();
    return { exitCode: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
  },
};
