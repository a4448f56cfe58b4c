import { readFileSync } from "node:fs";

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
 * It also stops when the process that started it goes away, if that process asked for it
 * (DURABLE_PARENT_PID: the Node launcher, a benchmark) or is npm. npm runs `durable` through
 * `sh -c`, and on SIGTERM npm ends that shell without passing the signal on, on SIGHUP it dies
 * and leaves the shell waiting: either way `durable dev` ran on, holding its port. So under npm
 * the shell's parent is watched too. A process started from a terminal watches nothing, so
 * `nohup durable dev &` outlives the terminal.
 */
export function processLifecycle(env: Record<string, string | undefined>): AbortSignal {
  const controller = new AbortController();
  let exitCode: number | undefined;
  const stop = (code: number) => {
    if (exitCode !== undefined) {
      // A second Ctrl-C: the user does not want to wait for the clean stop.
      process.exit(exitCode);
    }
    exitCode = code;
    controller.abort();
    setTimeout(() => process.exit(code), GRACE_MS).unref();
  };
  for (const [signal, code] of Object.entries(SIGNAL_EXIT)) process.on(signal, () => stop(code));
  const watched = ancestorsToWatch(env, process.ppid);
  if (watched.length > 0) {
    const timer = setInterval(() => {
      if (!stillRunning(watched)) {
        clearInterval(timer);
        stop(SIGNAL_EXIT.SIGHUP ?? 129);
      }
    }, PARENT_POLL_MS);
    timer.unref();
  }
  return controller.signal;
}

/**
 * The chain of ancestors this process must not outlive, nearest first: its parent, and under npm
 * also the shell's parent (npm itself). DURABLE_PARENT_PID is read once and removed, so the
 * commands' own children (bun test, npm) do not inherit it.
 */
export function ancestorsToWatch(env: Record<string, string | undefined>, ppid: number): number[] {
  const asked = env.DURABLE_PARENT_PID;
  if (asked !== undefined) {
    delete env.DURABLE_PARENT_PID;
    // A value left over from another process's environment names someone else's parent.
    return Number(asked) === ppid ? [ppid] : [];
  }
  if (!(env.npm_command || env.npm_lifecycle_event) || ppid <= 1) return [];
  const parent = procStat(ppid);
  return parent && SHELLS.has(parent.comm) && parent.ppid > 1 ? [ppid, parent.ppid] : [ppid];
}

const SHELLS = new Set(["sh", "dash", "bash", "zsh", "ash", "ksh"]);

/** True while each watched process is still the parent of the one before it. */
function stillRunning(chain: readonly number[]): boolean {
  if (process.ppid !== chain[0]) return false;
  for (let i = 1; i < chain.length; i++) {
    const stat = procStat(chain[i - 1] ?? 0);
    if (stat === undefined || stat.ppid !== chain[i]) return false;
  }
  return true;
}

/** A process's command name and parent from /proc (Linux); undefined elsewhere or when it is gone. */
function procStat(pid: number): { comm: string; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = text.lastIndexOf(")");
    return {
      comm: text.slice(text.indexOf("(") + 1, close),
      ppid: Number(text.slice(close + 2).split(" ")[1]),
    };
  } catch {
    return undefined;
  }
}
