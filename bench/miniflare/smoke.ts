/**
 * Shows the Miniflare peer works: start it, 50 increments that must count 1..50, a restart on
 * the same directory that must still read 50 (storage really reached disk), then stop.
 * With --bench it also runs the hot and spread workloads against it and prints their numbers.
 *
 *   cd bench && npm install && bun miniflare/smoke.ts [--bench]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hotSequential, increment, spreadConcurrent } from "../workloads.ts";
import { startMiniflarePeer } from "./peer.ts";

const runtime = typeof Bun === "undefined" ? `node ${process.version}` : `bun ${Bun.version}`;
// Ours, not the peer's: a peer removes only a directory it made, and this one must outlive it.
const persistDir = await mkdtemp(join(tmpdir(), "durable-bench-smoke-"));
try {
  await countAndBench();
  await checkRestart();
} finally {
  await rm(persistDir, { recursive: true, force: true });
}
console.log("miniflare peer: ok");

async function countAndBench(): Promise<void> {
  const peer = await startMiniflarePeer({ persistDir });
  try {
    console.log(`miniflare peer at ${peer.url} (${runtime}), storage in ${persistDir}`);
    for (let expected = 1; expected <= 50; expected++) {
      const count = await increment(peer.url, "smoke");
      if (count !== expected) throw new Error(`increment ${expected} answered ${count}`);
    }
    console.log("50 increments: counts 1..50 in order");
    if (!process.argv.includes("--bench")) return;
    const hot = await hotSequential(peer.url, { actorId: "hot", n: 1000 });
    console.log(
      `hot sequential: n=${hot.n} p50=${hot.p50Ms.toFixed(2)}ms p99=${hot.p99Ms.toFixed(2)}ms ` +
        `${hot.opsPerSec.toFixed(0)} ops/s (final count ${hot.finalCount})`,
    );
    const spread = await spreadConcurrent(peer.url, { actors: 1000, total: 10_000, clients: 8 });
    console.log(
      `spread concurrent: total=${spread.total} actors=1000 clients=8 ${spread.opsPerSec.toFixed(0)} ops/s ` +
        `p50=${spread.p50Ms.toFixed(2)}ms p99=${spread.p99Ms.toFixed(2)}ms`,
    );
  } finally {
    await peer.stop();
  }
}

async function checkRestart(): Promise<void> {
  const peer = await startMiniflarePeer({ persistDir });
  try {
    const response = await fetch(`${peer.url}/actors/smoke/get`, { method: "POST", body: "{}" });
    const { count } = (await response.json()) as { count: number };
    if (count !== 50) throw new Error(`after a restart the count is ${count}, not 50`);
    console.log("restart on the same storage: count still 50");
  } finally {
    await peer.stop();
  }
}
