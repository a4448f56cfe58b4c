import { emulatorClientConfig } from "./emulator-credentials.ts";
import { freePort } from "./free-port.ts";
import { type OwnedProcess, spawnOwned } from "./owned-process.ts";
import { waitUntil } from "./wait-until.ts";

export interface Moto {
  /** http://localhost:PORT: moto builds S3 and SQS URLs from the host it is called by. */
  endpoint: string;
  port: number;
  startupMs: number;
  /** Settings for any SDK client pointed at moto (dummy credentials and region). */
  clientConfig(): ReturnType<typeof emulatorClientConfig>;
  /** Drops every resource moto holds (POST /moto-api/reset), so one server serves many tests. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

let instance: Promise<Moto> | undefined;

/**
 * moto_server (Python moto 5.x) as a child process on a free port, started once per process and
 * stopped when the process ends.
 * @example const moto = await motoServer(); new CloudFormationClient(moto.clientConfig());
 */
export function motoServer(): Promise<Moto> {
  instance ??= start();
  return instance;
}

async function start(): Promise<Moto> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const started = performance.now();
    const server = spawnOwned({ command: "moto_server", args: ["-H", "127.0.0.1", "-p", String(port)] });
    let exitCode: number | null | undefined;
    void server.exited.then((code) => {
      exitCode = code;
    });
    const endpoint = `http://localhost:${port}`;
    try {
      await waitUntil(() => answers(port), {
        what: `moto_server on port ${port}`,
        timeoutMs: 60_000,
        abort: () =>
          exitCode === undefined
            ? undefined
            : new Error(`moto_server exited (${exitCode}): ${server.output()}`),
      });
      return describe(endpoint, port, performance.now() - started, server);
    } catch (error) {
      lastError = error;
      await server.stop();
    }
  }
  throw new Error("moto_server did not start", { cause: lastError });
}

async function answers(port: number): Promise<boolean> {
  // 127.0.0.1 for the probe: "localhost" may resolve to ::1 first, where moto does not listen.
  const response = await fetch(`http://127.0.0.1:${port}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
  await response.arrayBuffer();
  return response.status > 0;
}

function describe(endpoint: string, port: number, startupMs: number, server: OwnedProcess): Moto {
  return {
    endpoint,
    port,
    startupMs: Math.round(startupMs),
    clientConfig: () => emulatorClientConfig(endpoint),
    reset: async () => {
      const response = await fetch(`http://127.0.0.1:${port}/moto-api/reset`, { method: "POST" });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`moto reset answered ${response.status}`);
    },
    stop: async () => {
      instance = undefined;
      await server.stop();
    },
  };
}
