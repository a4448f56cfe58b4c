/**
 * Starts `durable dev` through the Node launcher (`node bin/durable.js dev`, what runs where sh
 * cannot) and finds the process that actually serves: the launcher spawns Bun on cli/main.ts, so
 * the launcher's own memory (a whole Node runtime doing nothing) is not the fabric's. RSS is read
 * from /proc/<pid>/status of the Bun child.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface DevProcess {
  readonly url: string;
  /** The Node launcher. */
  readonly launcherPid: number;
  /** The Bun process running cli/main.ts: the one that serves HTTP and holds the SQLite file. */
  readonly bunPid: number;
  /** Exit code once the launcher has exited (undefined while it runs). */
  exitCode(): number | null | undefined;
  /** The last few KB the server wrote to stderr, for error messages. */
  stderrTail(): string;
  stop(): Promise<void>;
}

export const REPO_ROOT = join(import.meta.dir, "..");
export const DURABLE_BIN = join(REPO_ROOT, "bin", "durable.js");

export async function startDevProcess(projectDir: string, timeoutMs = 30_000): Promise<DevProcess> {
  // DURABLE_PARENT_PID: the launcher and its Bun child stop when this process does, even when a
  // crash skips stop() (a crashed benchmark used to leave `durable dev` running, holding its port).
  const env: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: "1",
    FORCE_COLOR: undefined,
    DURABLE_PARENT_PID: String(process.pid),
  };
  const child = Bun.spawn({
    cmd: ["node", DURABLE_BIN, "dev", "--port", "0", "--json"],
    cwd: projectDir,
    env,
    stdin: "ignore",
    stdout: "pipe",
    // Turn lines go to stdout; stderr is kept for the error message if it never gets ready.
    stderr: "pipe",
  });
  const stop = async (): Promise<void> => {
    child.kill("SIGINT");
    const exited = await Promise.race([child.exited, Bun.sleep(5_000).then(() => "timeout" as const)]);
    if (exited === "timeout") child.kill("SIGKILL");
  };
  try {
    const url = await readyUrl(child.stdout, timeoutMs);
    // Keep draining both pipes: `durable dev` prints a line per turn, and a full pipe would stall it.
    void drain(child.stdout, () => undefined);
    let tail = "";
    void drain(child.stderr, (text) => {
      tail = (tail + text).slice(-4096);
    });
    const bunPid = childPid(child.pid, "bun");
    return {
      url,
      launcherPid: child.pid,
      bunPid,
      exitCode: () => (child.exitCode === null && !child.killed ? undefined : child.exitCode),
      stderrTail: () => tail,
      stop,
    };
  } catch (error) {
    await stop();
    const stderr = await new Response(child.stderr).text().catch(() => "");
    throw new Error(
      `durable dev did not start in ${projectDir}: ${(error as Error).message}\n${stderr.slice(-2000)}`,
    );
  }
}

async function readyUrl(stdout: ReadableStream<Uint8Array>, timeoutMs: number): Promise<string> {
  const reader = stdout.getReader();
  const decoder = new TextDecoder();
  const deadline = Date.now() + timeoutMs;
  let buffered = "";
  try {
    while (Date.now() < deadline) {
      const chunk = await Promise.race([
        reader.read(),
        Bun.sleep(deadline - Date.now()).then(() => undefined),
      ]);
      if (!chunk || chunk.done) break;
      buffered += decoder.decode(chunk.value, { stream: true });
      for (let nl = buffered.indexOf("\n"); nl !== -1; nl = buffered.indexOf("\n")) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const url = readyLine(line);
        if (url) return url;
      }
    }
  } finally {
    reader.releaseLock();
  }
  throw new Error("no ready line");
}

function readyLine(line: string): string | undefined {
  try {
    const parsed = JSON.parse(line) as { type?: unknown; url?: unknown };
    return parsed.type === "ready" && typeof parsed.url === "string" ? parsed.url : undefined;
  } catch {
    return undefined;
  }
}

async function drain(stream: ReadableStream<Uint8Array>, keep: (text: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  try {
    for await (const chunk of stream) keep(decoder.decode(chunk, { stream: true }));
  } catch {
    // The process ended.
  }
}

/** The pid of `parent`'s child whose command name starts with `name` (/proc/<pid>/stat). */
export function childPid(parent: number, name: string): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      if (ppid === parent && comm.startsWith(name)) return Number(entry);
    } catch {
      // Gone between readdir and read.
    }
  }
  throw new Error(`process ${parent} has no child named ${name}*`);
}

/** Resident set size in MB (VmRSS of /proc/<pid>/status). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) / 1024;
}
