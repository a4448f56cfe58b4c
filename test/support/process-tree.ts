import { readdirSync, readFileSync } from "node:fs";

interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
}

function stat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
    const close = text.lastIndexOf(")");
    const [state = "", ppid = "0"] = text.slice(close + 2).split(" ");
    return { pid, comm: text.slice(text.indexOf("(") + 1, close), state, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

/** The command name of a running process (/proc/<pid>/comm), or undefined when it is gone. */
export function commandName(pid: number): string | undefined {
  return stat(pid)?.comm;
}

/** True while `pid` runs; a zombie (exited, not yet reaped by its parent) counts as gone. */
export function isRunning(pid: number): boolean {
  const s = stat(pid);
  return s !== undefined && s.state !== "Z" && s.state !== "X";
}

/** Every live descendant of `root`, depth first. */
export function descendants(root: number): ProcStat[] {
  const all = readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .map((e) => stat(Number(e)))
    .filter((s): s is ProcStat => s !== undefined && isRunning(s.pid));
  const found: ProcStat[] = [];
  const walk = (pid: number) => {
    for (const child of all.filter((s) => s.ppid === pid)) {
      found.push(child);
      walk(child.pid);
    }
  };
  walk(root);
  return found;
}

/** Resolves true once `pid` is gone, false if it still runs after `withinMs`. */
export async function exitsWithin(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (!isRunning(pid)) return true;
    await Bun.sleep(25);
  }
  return !isRunning(pid);
}
