import { join } from "node:path";
import { freePort } from "./free-port.ts";
import { spawnOwned } from "./owned-process.ts";
import { waitUntil } from "./wait-until.ts";

export interface LambdaStage {
  /** What a stage file records as its endpoint: Lambda invokes, and every other SDK call passed on. */
  endpoint: string;
  /** The JSON lines the function logged so far. */
  logs(): Record<string, unknown>[];
  stop(): Promise<void>;
}

export interface LambdaStageOptions {
  /** A `durable build` bundle (index.mjs exporting `handler`). */
  bundle: string;
  /** The function's environment: the fabric's variables, credentials and emulator endpoints. */
  env: Record<string, string>;
  /** Emulator endpoints by SigV4 service name, for the SDK calls made through `endpoint`. */
  upstreams: Record<string, string>;
}

/**
 * A stage's function running under Node on emulators (moto creates functions but cannot run them):
 * see lambda-runner.mjs. Stopped with the test process, whatever happens.
 */
export async function startLambdaStage(options: LambdaStageOptions): Promise<LambdaStage> {
  const port = await freePort();
  let stdout = "";
  const runner = spawnOwned({
    command: "node",
    args: [
      join(import.meta.dir, "lambda-runner.mjs"),
      options.bundle,
      String(port),
      JSON.stringify(options.upstreams),
    ],
    env: { PATH: process.env.PATH ?? "", ...options.env },
    onStdout: (chunk) => {
      stdout += chunk;
    },
  });
  let exit: number | null | undefined;
  void runner.exited.then((code) => {
    exit = code;
  });
  await waitUntil(async () => stdout.includes('"runner":"ready"'), {
    what: "the lambda runner",
    timeoutMs: 20_000,
    abort: () =>
      exit === undefined ? undefined : new Error(`lambda runner exited (${exit}): ${runner.output()}`),
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    logs: () =>
      stdout
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    stop: () => runner.stop(),
  };
}
