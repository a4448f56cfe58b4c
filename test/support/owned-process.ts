import { type ChildProcess, spawn } from "node:child_process";

export interface OwnedProcessOptions {
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Everything the process prints on stdout, as it comes. */
  onStdout?: (chunk: string) => void;
}

export interface OwnedProcess {
  readonly pid: number | undefined;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** The last few KB the server printed, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

const KEEP_OUTPUT = 8 * 1024;

/*
 * `bun test` exits without emitting "exit" (checked on bun 1.4.5), so an exit hook cannot stop a
 * server. Instead the server runs under a tiny shell that holds a pipe from us on stdin: when this
 * process ends for any reason (even SIGKILL) the pipe closes, `cat` returns and the shell stops the
 * server. Background jobs get /dev/null as stdin unless redirected, so the pipe is handed to the
 * watcher as fd 3 and the server never sees it; the shell waits on the server, so a server that
 * dies on its own (port taken) is seen at once. SIGTERM first; SIGKILL after 3 s only if it is
 * still running, because moto answers SIGTERM with sys.exit(), which waits for busy request threads.
 */
const GUARD = [
  'exec 3<&0; "$@" 3<&- & pid=$!',
  '(cat <&3 >/dev/null; kill "$pid" 2>/dev/null; i=0',
  'while kill -0 "$pid" 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done',
  'if [ $i -ge 30 ]; then kill -9 "$pid" 2>/dev/null; fi) & wait "$pid"',
].join("; ");

/**
 * Starts a server process whose lifetime is tied to this process.
 * @example const moto = spawnOwned({ command: "moto_server", args: ["-p", "5000"] });
 */
export function spawnOwned(options: OwnedProcessOptions): OwnedProcess {
  const child: ChildProcess = spawn("sh", ["-c", GUARD, "sh", options.command, ...options.args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["pipe", "pipe", "pipe"],
    // Its own process group, so a stuck stop can kill the shell and the server together.
    detached: true,
  });
  let output = "";
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString("utf8")).slice(-KEEP_OUTPUT);
  };
  child.stdout?.on("data", keep);
  if (options.onStdout)
    child.stdout?.on("data", (chunk: Buffer) => options.onStdout?.(chunk.toString("utf8")));
  child.stderr?.on("data", keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.once("error", (error) => {
      keep(Buffer.from(String(error)));
      resolve(-1);
    });
  });
  // Neither the child nor its pipes may keep a finished test run or benchmark alive.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
  return {
    pid: child.pid,
    exited,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin?.end();
      const timer = setTimeout(() => killGroup(child.pid), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}
