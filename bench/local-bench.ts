/**
 * The local fabric against its peers, all over HTTP on 127.0.0.1 with this (Bun) process as the
 * client: `durable dev` serving a freshly generated counter project, Miniflare (workerd, hosted
 * by Node) serving the counter as a SQLite-backed Durable Object, and Restate (restate-server
 * plus the counter as a virtual object on the Bun SDK). Workloads run in rounds that rotate which
 * backend goes first, so noise from the shared machine is spread over all of them. Memory is the
 * RSS of every process each one needs.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { durableBin, startDevProcess } from "./dev-process.ts";
import { startMiniflareHost } from "./miniflare/host-peer.ts";
import { treeRss } from "./processes.ts";
import { startRestatePeer } from "./restate/peer.ts";
import {
  type HotResult,
  hotSequential,
  type SpreadResult,
  spreadConcurrent,
  summarize,
} from "./workloads.ts";

export interface LocalBenchOptions {
  hotN: number;
  hotRounds: number;
  spreadTotal: number;
  spreadActors: number;
  clients: number;
  spreadRounds: number;
  /** Quiet time before reading idle memory. */
  settleMs: number;
  onProgress?: (line: string) => void;
}

export const DEFAULT_LOCAL_OPTIONS: LocalBenchOptions = {
  hotN: 1000,
  hotRounds: 4,
  spreadTotal: 10_000,
  spreadActors: 1000,
  clients: 8,
  spreadRounds: 2,
  settleMs: 2000,
};

export interface Memory {
  /** RSS of every process of the backend, summed, once started and quiet. */
  idleMb: number;
  /** The same after the workloads, once quiet again. */
  afterLoadMb: number;
  /** Idle RSS per process name (e.g. { node: 43, bun: 48 }). */
  byProcess: Record<string, number>;
}

export interface BackendResults {
  hot: { n: number; p50Ms: number; p99Ms: number; opsPerSec: number; finalCount: number | undefined };
  spread: { total: number; actors: number; clients: number; p50Ms: number; p99Ms: number; opsPerSec: number };
  memory: Memory;
}

export type BackendName = "local" | "miniflare" | "restate";
export type LocalBenchResults = Record<BackendName, BackendResults>;

interface Backend {
  name: BackendName;
  url: string;
  /** Process trees that make up the backend. */
  pids: readonly number[];
  diagnose: () => string;
  stop(): Promise<void>;
  hot: HotResult[];
  spread: SpreadResult[];
}

export async function runLocalBench(
  options: LocalBenchOptions = DEFAULT_LOCAL_OPTIONS,
): Promise<LocalBenchResults> {
  const progress = options.onProgress ?? (() => undefined);
  const dir = await mkdtemp(join(tmpdir(), "durable-bench-local-"));
  const backends: Backend[] = [];
  try {
    const project = join(dir, "counter");
    await generateCounter(project);
    const dev = await startDevProcess(project);
    backends.push({
      name: "local",
      ...dev,
      pids: [dev.pid],
      diagnose: () => dev.tail().slice(-1500),
      hot: [],
      spread: [],
    });
    progress("local: starting Miniflare (Node host + workerd)");
    const mf = await startMiniflareHost();
    backends.push({ name: "miniflare", ...mf, diagnose: () => "", hot: [], spread: [] });
    progress("local: starting Restate (restate-server + the Bun SDK service)");
    const rs = await startRestatePeer();
    backends.push({ name: "restate", ...rs, diagnose: () => "", hot: [], spread: [] });
    await Bun.sleep(options.settleMs);
    const idle = new Map(backends.map((b) => [b.name, treeRss(b.pids)]));
    progress("local: hot actor (durable dev, miniflare, restate)");
    const hotN = Math.ceil(options.hotN / options.hotRounds);
    await rotate(backends, options.hotRounds, async (b, round) => {
      b.hot.push(await hotSequential(b.url, { actorId: "bench-hot", n: hotN, warmup: round === 0 ? 20 : 0 }));
    });
    progress("local: spread over actors");
    const total = Math.ceil(options.spreadTotal / options.spreadRounds);
    await rotate(backends, options.spreadRounds, async (b, round) => {
      const run = await spreadConcurrent(b.url, {
        actors: options.spreadActors,
        total,
        clients: options.clients,
        prefix: "bench-spread",
        warmup: round === 0 ? options.clients * 4 : 0,
      });
      b.spread.push(run);
    });
    await Bun.sleep(options.settleMs);
    const results = {} as LocalBenchResults;
    for (const b of backends) {
      const rest = idle.get(b.name) ?? { totalMb: 0, byProcess: {} };
      results[b.name] = {
        ...pool(b, options),
        memory: { idleMb: rest.totalMb, afterLoadMb: treeRss(b.pids).totalMb, byProcess: rest.byProcess },
      };
    }
    return results;
  } finally {
    await Promise.all(backends.map((b) => b.stop().catch(() => undefined)));
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `--no-install`: the project's npm install only links durable-lambda back to this repo (it took
 * minutes on a busy machine), and `durable dev` runs from the copied runtime in ./durable anyway.
 */
export async function generateCounter(project: string): Promise<void> {
  const init = Bun.spawn({
    cmd: [durableBin(), "init", project, "--template", "counter", "--yes", "--no-install", "--no-git"],
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const [code, stderr] = await Promise.all([init.exited, new Response(init.stderr).text()]);
  if (code !== 0) throw new Error(`durable init failed (${code}): ${stderr.slice(-2000)}`);
}

/** Runs one round per backend per index, rotating which goes first. */
async function rotate(
  backends: readonly Backend[],
  rounds: number,
  run: (backend: Backend, round: number) => Promise<void>,
): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    const order = backends.map((_, i) => backends[(i + r) % backends.length] as Backend);
    for (const b of order) {
      try {
        await run(b, r);
      } catch (error) {
        throw new Error(`${b.name} at ${b.url}: ${(error as Error).message} ${b.diagnose()}`, {
          cause: error,
        });
      }
    }
  }
}

function pool(b: Backend, options: LocalBenchOptions): Omit<BackendResults, "memory"> {
  const hotLatencies = b.hot.flatMap((r) => r.latenciesMs);
  const hotMs = b.hot.reduce((sum, r) => sum + r.elapsedMs, 0);
  const spreadLatencies = b.spread.flatMap((r) => r.latenciesMs);
  const spreadMs = b.spread.reduce((sum, r) => sum + r.elapsedMs, 0);
  return {
    hot: {
      n: hotLatencies.length,
      ...summarize(hotLatencies),
      opsPerSec: (hotLatencies.length * 1000) / hotMs,
      finalCount: b.hot.at(-1)?.finalCount,
    },
    spread: {
      total: spreadLatencies.length,
      actors: options.spreadActors,
      clients: options.clients,
      ...summarize(spreadLatencies),
      opsPerSec: (spreadLatencies.length * 1000) / spreadMs,
    },
  };
}
