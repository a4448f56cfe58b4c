/**
 * The local fabric against the Miniflare Durable Object peer: `durable dev` serving a freshly
 * generated counter project, and workerd serving the same counter as a SQLite-backed Durable
 * Object, both over HTTP on 127.0.0.1 with this (Bun) process as the client. Workloads run in
 * rounds that alternate which backend goes first (ABBA), so noise from the shared machine is
 * spread over both.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childPid, DURABLE_BIN, rssMb, startDevProcess } from "./dev-process.ts";
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

export interface BackendResults {
  hot: { n: number; p50Ms: number; p99Ms: number; opsPerSec: number; finalCount: number | undefined };
  spread: { total: number; actors: number; clients: number; p50Ms: number; p99Ms: number; opsPerSec: number };
}

export interface LocalBenchResults {
  local: BackendResults & {
    /** VmRSS of the Bun process serving `durable dev`, after start-up and a quiet spell. */
    devRssMb: number;
    /** The same after the workloads, once quiet again. */
    devRssAfterLoadMb: number;
    /** The Node launcher (bin/durable.js), which stays alive as the Bun child's parent. */
    launcherRssMb: number;
  };
  miniflare: BackendResults & { workerdRssMb: number | undefined };
}

interface Backend {
  name: string;
  url: string;
  /** What is known about the server when a request to it failed. */
  diagnose: () => string;
  hot: HotResult[];
  spread: SpreadResult[];
}

interface PeerModule {
  startMiniflarePeer(): Promise<{ url: string; stop(): Promise<void> }>;
}

export async function runLocalBench(
  options: LocalBenchOptions = DEFAULT_LOCAL_OPTIONS,
): Promise<LocalBenchResults> {
  const progress = options.onProgress ?? (() => undefined);
  const dir = await mkdtemp(join(tmpdir(), "durable-bench-local-"));
  try {
    const project = join(dir, "counter");
    await generateCounter(project);
    const dev = await startDevProcess(project);
    // Miniflare lives in bench/node_modules, outside the main install: a computed specifier keeps
    // the root typecheck (which has no miniflare) from following the import.
    const peerModule = new URL("./miniflare/peer.ts", import.meta.url).href;
    const { startMiniflarePeer } = (await import(peerModule)) as PeerModule;
    let peer: Awaited<ReturnType<PeerModule["startMiniflarePeer"]>> | undefined;
    try {
      peer = await startMiniflarePeer();
      await Bun.sleep(options.settleMs);
      const devRssMb = rssMb(dev.bunPid);
      const launcherRssMb = rssMb(dev.launcherPid);
      const workerdRssMb = workerdRss();
      const local: Backend = {
        name: "durable dev",
        url: dev.url,
        diagnose: () => `exit code ${String(dev.exitCode())}, stderr: ${dev.stderrTail().slice(-1500)}`,
        hot: [],
        spread: [],
      };
      const mf: Backend = { name: "miniflare", url: peer.url, diagnose: () => "", hot: [], spread: [] };
      progress("local: hot actor (durable dev vs miniflare)");
      const hotN = Math.ceil(options.hotN / options.hotRounds);
      await alternate([local, mf], options.hotRounds, async (b, round) => {
        b.hot.push(await hotSequential(b.url, { actorId: "bench-hot", n: hotN, warmup: round < 2 ? 20 : 0 }));
      });
      progress("local: spread over actors");
      const total = Math.ceil(options.spreadTotal / options.spreadRounds);
      await alternate([local, mf], options.spreadRounds, async (b, round) => {
        const run = await spreadConcurrent(b.url, {
          actors: options.spreadActors,
          total,
          clients: options.clients,
          prefix: "bench-spread",
          warmup: round < 2 ? options.clients * 4 : 0,
        });
        b.spread.push(run);
      });
      await Bun.sleep(options.settleMs);
      const devRssAfterLoadMb = rssMb(dev.bunPid);
      return {
        local: { ...pool(local, options), devRssMb, devRssAfterLoadMb, launcherRssMb },
        miniflare: { ...pool(mf, options), workerdRssMb },
      };
    } finally {
      await Promise.all([dev.stop(), peer?.stop()]);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `--no-install`: the project's npm install only links durable-lambda back to this repo (it took
 * minutes on a busy machine), and `durable dev` runs from the copied runtime in ./durable anyway.
 */
async function generateCounter(project: string): Promise<void> {
  const init = Bun.spawn({
    cmd: ["node", DURABLE_BIN, "init", project, "--template", "counter", "--yes", "--no-install", "--no-git"],
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const [code, stderr] = await Promise.all([init.exited, new Response(init.stderr).text()]);
  if (code !== 0) throw new Error(`durable init failed (${code}): ${stderr.slice(-2000)}`);
}

/** Runs one round per backend per index, alternating which goes first. */
async function alternate(
  backends: readonly [Backend, Backend],
  rounds: number,
  run: (backend: Backend, round: number) => Promise<void>,
): Promise<void> {
  let turn = 0;
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [backends[0], backends[1]] : [backends[1], backends[0]];
    for (const b of order) {
      try {
        await run(b, turn++);
      } catch (error) {
        throw new Error(`${b.name} at ${b.url}: ${(error as Error).message} ${b.diagnose()}`, {
          cause: error,
        });
      }
    }
  }
}

function pool(b: Backend, options: LocalBenchOptions): BackendResults {
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

/** Miniflare runs workerd as a child of this process; its memory is reported for scale. */
function workerdRss(): number | undefined {
  try {
    return rssMb(childPid(process.pid, "workerd"));
  } catch {
    return undefined;
  }
}
