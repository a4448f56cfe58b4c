/** Exit codes of a process ended by a signal, as a shell reports them. */
const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/** How long a stopped command may take to finish cleanly before the process ends anyway. */
const GRACE_MS = 1_500;
const PARENT_POLL_MS = 250;

/**
 * How a CLI process stops. SIGINT, SIGTERM and SIGHUP abort the returned signal, so long-running
 * commands (dev, state tail, logs) close their servers and files; whatever still runs after
 * GRACE_MS is ended, so a stop always completes within 2 s.
 *
 * It also stops when its parent goes away, if the parent asked for that (DURABLE_PARENT_PID: the
 * Node launcher, a benchmark) or is npm: on SIGTERM, `npx` ends the shell it ran `durable` in
 * without passing the signal on, which left `durable dev` running and holding its port. A process
 * started from a shell does not watch it, so `nohup durable dev &` outlives the terminal.
 */
export function processLifecycle(env: Record<string, string | undefined>): AbortSignal {
  const exit = (code: number) => process.exit(code);
  const controller = new AbortController();
  let exitCode: number | undefined;
  const stop = (code: number) => {
    if (exitCode !== undefined) {
      // A second Ctrl-C: the user does not want to wait for the clean stop.
      exit(exitCode);
      return;
    }
    exitCode = code;
    controller.abort();
    setTimeout(() => exit(code), GRACE_MS).unref();
  };
  for (const [signal, code] of Object.entries(SIGNAL_EXIT)) process.on(signal, () => stop(code));
  const parent = parentToWatch(env, process.ppid);
  if (parent !== undefined) {
    const timer = setInterval(() => {
      if (process.ppid !== parent) {
        clearInterval(timer);
        stop(SIGNAL_EXIT.SIGHUP ?? 129);
      }
    }, PARENT_POLL_MS);
    timer.unref();
  }
  return controller.signal;
}

/**
 * The parent pid to outlive by no more than a poll, or undefined. DURABLE_PARENT_PID is read once
 * and removed, so the commands' own children (bun test, npm) do not inherit it.
 */
export function parentToWatch(env: Record<string, string | undefined>, ppid: number): number | undefined {
  const asked = env.DURABLE_PARENT_PID;
  if (asked !== undefined) {
    delete env.DURABLE_PARENT_PID;
    // A value left over from another process's environment names someone else's parent.
    return Number(asked) === ppid ? ppid : undefined;
  }
  return env.npm_command || env.npm_lifecycle_event ? ppid : undefined;
}
