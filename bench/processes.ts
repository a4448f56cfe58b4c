/**
 * The processes a benchmark peer needs: each started in a process group of its own, so stopping
 * it stops its children too (Miniflare's workerd, the Bun child of a launcher), and killed when
 * the run ends in any way (a finished run, a thrown error, Ctrl-C, SIGTERM): nothing is left behind.
 * Memory is counted over the whole tree of each process, from /proc.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export interface Group {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Lines the process wrote, the last few KB of each stream, for error messages. */
  tail(): string;
  /** The first stdout line `{ "type": "ready", … }`, parsed; rejects if the process exits or the time runs out first. */
  ready(timeoutMs: number): Promise<Record<string, unknown>>;
  /** SIGTERM to the group, then SIGKILL after `graceMs` if anything in it still runs. */
  stop(graceMs?: number): Promise<void>;
}

export interface GroupOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Called with every complete stdout line. */
  onLine?: (line: string) => void;
}

const running = new Set<Group>();
let hooked = false;

export function spawnGroup(command: string, args: readonly string[], options: GroupOptions = {}): Group {
  hookExit();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env as NodeJS.ProcessEnv | undefined,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  let tail = "";
  let pending = "";
  let announce: (line: Record<string, unknown>) => void = () => undefined;
  const announced = new Promise<Record<string, unknown>>((resolve) => {
    announce = resolve;
  });
  child.stdout?.setEncoding("utf8").on("data", (text: string) => {
    tail = (tail + text).slice(-4096);
    pending += text;
    for (let nl = pending.indexOf("\n"); nl !== -1; nl = pending.indexOf("\n")) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      options.onLine?.(line);
      const parsed = parseReady(line);
      if (parsed) announce(parsed);
    }
  });
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    tail = (tail + text).slice(-4096);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const group: Group = {
    child,
    pid,
    tail: () => tail,
    ready(timeoutMs) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const failed = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`not ready within ${timeoutMs} ms: ${tail.slice(-1500)}`)),
          timeoutMs,
        );
        exited.then(() => reject(new Error(`exited before it was ready: ${tail.slice(-1500)}`)));
      });
      return Promise.race([announced, failed]).finally(() => clearTimeout(timer));
    },
    async stop(graceMs = 5_000) {
      running.delete(group);
      signalGroup(pid, "SIGTERM");
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(true), graceMs)),
      ]);
      // The leader may be gone while a child of its group still runs: the group is killed either way.
      signalGroup(pid, "SIGKILL");
      if (timedOut) await exited;
    },
  };
  running.add(group);
  return group;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Kills every group still running: on exit (synchronous), and on the signals that end a run. */
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const killAll = (): void => {
    for (const group of running) signalGroup(group.pid, "SIGKILL");
    running.clear();
  };
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

function parseReady(line: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(line) as unknown;
    return typeof parsed === "object" && parsed !== null && (parsed as { type?: unknown }).type === "ready"
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The process and all its descendants (by parent pid, from /proc). */
export function processTree(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const siblings = parents.get(ppid) ?? [];
      siblings.push(Number(entry));
      parents.set(ppid, siblings);
    } catch {
      // Gone between readdir and read.
    }
  }
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    tree.push(pid);
    queue.push(...(parents.get(pid) ?? []));
  }
  return tree;
}

/** Resident set size in MB (VmRSS of /proc/<pid>/status); 0 for a process that is gone. */
export function rssMb(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The command name of a process (/proc/<pid>/comm). */
export function commandName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "?";
  }
}

/** RSS of every process in the trees of `roots`, by command name (e.g. { node: 43, bun: 48 }). */
export function treeRss(roots: readonly number[]): { totalMb: number; byProcess: Record<string, number> } {
  const byProcess: Record<string, number> = {};
  let totalMb = 0;
  for (const root of roots) {
    for (const pid of processTree(root)) {
      const mb = rssMb(pid);
      const name = commandName(pid);
      byProcess[name] = (byProcess[name] ?? 0) + mb;
      totalMb += mb;
    }
  }
  return { totalMb, byProcess };
}
