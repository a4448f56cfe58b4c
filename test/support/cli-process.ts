import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dir, "..", "..");
/** The `durable` bin as npm installs it: a POSIX sh launcher that execs Bun. */
export const DURABLE_BIN = join(REPO_ROOT, "bin", "durable");
/** The Node launcher, for where sh cannot run. */
export const DURABLE_NODE_BIN = join(REPO_ROOT, "bin", "durable.js");

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Environment of a user's shell without a TTY: no colours forced, the repo's node_modules/.bin not needed. */
export function userEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...extra })) if (v !== undefined) env[k] = v;
  delete env.FORCE_COLOR;
  return env;
}

/**
 * Runs the real `durable` bin (sh launcher → Bun on cli/main.ts) as a user would, with no TTY.
 * @example const { code, stdout } = await durable(["state", "get", "counter-1", "--json"], { cwd });
 */
export async function durable(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined>; stdin?: string },
): Promise<CliRun> {
  const child = Bun.spawn({
    cmd: [DURABLE_BIN, ...args],
    cwd: options.cwd,
    env: userEnv(options.env),
    stdin: options.stdin === undefined ? "ignore" : new Blob([options.stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, stdout, stderr };
}

export interface DevProcess extends AsyncDisposable {
  url: string;
  lines: string[];
}

/** Starts `durable dev --port 0 --json` in a project and resolves once it prints its ready line. */
export async function startDev(cwd: string, env: Record<string, string> = {}): Promise<DevProcess> {
  const child = Bun.spawn({
    cmd: [DURABLE_BIN, "dev", "--port", "0", "--json"],
    cwd,
    env: userEnv(env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const lines: string[] = [];
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timeout = setTimeout(
      () => reject(new Error(`durable dev did not start: ${lines.join("\n")}`)),
      20_000,
    );
    (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += decoder.decode(value, { stream: true });
        let nl = buffered.indexOf("\n");
        while (nl !== -1) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          lines.push(line);
          try {
            const parsed = JSON.parse(line) as { type?: string; url?: string };
            if (parsed.type === "ready" && parsed.url) {
              clearTimeout(timeout);
              resolve(parsed.url);
            }
          } catch {}
          nl = buffered.indexOf("\n");
        }
      }
      reject(new Error(`durable dev exited: ${lines.join("\n")}`));
    })();
  });
  return {
    url,
    lines,
    async [Symbol.asyncDispose]() {
      child.kill("SIGINT");
      const exited = await Promise.race([child.exited, Bun.sleep(5_000).then(() => "timeout" as const)]);
      if (exited === "timeout") child.kill("SIGKILL");
    },
  };
}
