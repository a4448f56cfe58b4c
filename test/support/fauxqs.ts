import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { buildApp } from "fauxqs";
import { emulatorClientConfig } from "./emulator-credentials.ts";
import { freePort } from "./free-port.ts";
import { spawnOwned } from "./owned-process.ts";
import { waitUntil } from "./wait-until.ts";

export interface Fauxqs {
  endpoint: string;
  port: number;
  mode: "in-process" | "child";
  /** Wall time from start to the first answered request. */
  startupMs: number;
  /** A client with dummy credentials and region, pointed at this server. */
  client(): SQSClient;
  /** fauxqs serves S3 on the same port; path-style, since `<bucket>.127.0.0.1` resolves nowhere. */
  s3(): S3Client;
  stop(): Promise<void>;
}

let instance: Promise<Fauxqs> | undefined;

/**
 * The fauxqs SQS emulator, started once per process. In process by default (it needs Bun for
 * node:sqlite, which `bun test` is); DURABLE_TEST_FAUXQS=child runs it as a Bun child instead.
 * @example const sqs = (await fauxqs()).client();
 */
export function fauxqs(): Promise<Fauxqs> {
  instance ??= process.env.DURABLE_TEST_FAUXQS === "child" ? startChild() : startInProcess();
  return instance;
}

async function startInProcess(): Promise<Fauxqs> {
  const started = performance.now();
  // buildApp + listen rather than startFauxqs(): startFauxqs binds 0.0.0.0, tests stay on loopback.
  const app = buildApp({ logger: false });
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  const port = Number(new URL(address).port);
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntil(() => answers(endpoint), { what: "fauxqs", timeoutMs: 10_000 });
  return describe(endpoint, port, "in-process", performance.now() - started, () => app.close());
}

async function startChild(): Promise<Fauxqs> {
  const port = await freePort();
  const started = performance.now();
  const bun = process.versions.bun === undefined ? "bun" : process.execPath;
  const server = spawnOwned({
    command: bun,
    args: [new URL("./fauxqs-main.ts", import.meta.url).pathname, String(port)],
  });
  let exitCode: number | null | undefined;
  void server.exited.then((code) => {
    exitCode = code;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntil(() => answers(endpoint), {
    what: `fauxqs on port ${port}`,
    timeoutMs: 20_000,
    abort: () =>
      exitCode === undefined ? undefined : new Error(`fauxqs exited (${exitCode}): ${server.output()}`),
  });
  return describe(endpoint, port, "child", performance.now() - started, () => server.stop());
}

async function answers(endpoint: string): Promise<boolean> {
  const response = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) });
  await response.arrayBuffer();
  return response.ok;
}

function describe(
  endpoint: string,
  port: number,
  mode: Fauxqs["mode"],
  startupMs: number,
  close: () => Promise<void>,
): Fauxqs {
  return {
    endpoint,
    port,
    mode,
    startupMs: Math.round(startupMs),
    client: () => new SQSClient(emulatorClientConfig(endpoint)),
    s3: () => new S3Client({ ...emulatorClientConfig(endpoint), forcePathStyle: true }),
    stop: async () => {
      instance = undefined;
      await close();
    },
  };
}
