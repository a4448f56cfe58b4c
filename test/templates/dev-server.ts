import { type ChildProcess, spawn } from "node:child_process";
import type { JsonValue } from "../../runtime/core/json.ts";
import { CLI_ENV, DURABLE_BIN } from "./fixtures.ts";

export interface DevRecord {
  state: Record<string, JsonValue>;
  version: number;
  timers: Record<string, { at: string }>;
}

/** A `durable dev` child process serving one project; disposing it stops the process group. */
export interface DevServer extends AsyncDisposable {
  url: string;
  call(actorId: string, handler: string, input?: JsonValue): Promise<JsonValue>;
  state(actorId: string): Promise<DevRecord | null>;
  /** Polls the committed state until `ready` holds: the dev fabric runs on the real clock. */
  waitForState(
    actorId: string,
    ready: (state: Record<string, JsonValue>) => boolean,
    timeoutMs: number,
  ): Promise<DevRecord>;
}

/** Starts `durable dev --port 0 --json` in `project` and waits for its "ready" line. */
export async function startDev(project: string, readyTimeoutMs = 20_000): Promise<DevServer> {
  // Its own process group, so a stop reaches whatever the launcher started.
  const child = spawn(DURABLE_BIN, ["dev", "--port", "0", "--json"], {
    cwd: project,
    env: CLI_ENV,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let url: string;
  try {
    url = await readyUrl(child, readyTimeoutMs, () => stderr);
  } catch (error) {
    await stop(child);
    throw error;
  }

  const call = async (actorId: string, handler: string, input: JsonValue = null): Promise<JsonValue> => {
    const response = await fetch(`${url}/actors/${actorId}/${handler}`, {
      method: "POST",
      body: JSON.stringify(input),
    });
    const body = (await response.json()) as { result?: JsonValue; error?: { message: string } };
    if (body.error) throw new Error(`${actorId} ${handler}: ${body.error.message}`);
    return body.result ?? null;
  };
  const state = async (actorId: string): Promise<DevRecord | null> => {
    const response = await fetch(`${url}/actors/${actorId}/state`);
    return response.ok ? ((await response.json()) as DevRecord) : null;
  };
  return {
    url,
    call,
    state,
    async waitForState(actorId, ready, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const record = await state(actorId);
        if (record && ready(record.state)) return record;
        if (performance.now() > deadline) {
          throw new Error(
            `${actorId} did not reach the expected state in ${timeoutMs} ms: ${JSON.stringify(record?.state)}`,
          );
        }
        await Bun.sleep(50);
      }
    },
    [Symbol.asyncDispose]: () => stop(child),
  };
}

function readyUrl(child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(
      () => reject(new Error(`durable dev was not ready in ${timeoutMs} ms: ${stderr()}`)),
      timeoutMs,
    );
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`durable dev exited with ${code}: ${stderr()}`));
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      const lines = (buffered + chunk.toString()).split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.startsWith("{")) continue;
        const event = JSON.parse(line) as { type?: string; url?: string };
        if (event.type === "ready" && event.url) {
          clearTimeout(timer);
          resolve(event.url);
        }
      }
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  process.kill(-child.pid, "SIGTERM");
  const killed = await Promise.race([exited.then(() => true), Bun.sleep(5_000).then(() => false)]);
  if (!killed) process.kill(-child.pid, "SIGKILL");
}
