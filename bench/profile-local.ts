/**
 * Where a `durable dev` increment spends its time, measured in process (no `durable dev`): the
 * HTTP round trip alone (an empty Bun.serve handler, same client), a whole turn through
 * Fabric.invoke, and each store call inside it (lease acquire, load, commit), with SQLite's
 * WAL synchronous=FULL (the default) and NORMAL.
 *
 *   bun bench/profile-local.ts [--n 2000]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openLocalPorts } from "../runtime/adapters/local/index.ts";
import { Fabric } from "../runtime/core/fabric.ts";
import type { ActorStore } from "../runtime/ports/actor-store.ts";
import { counter } from "./counter-actor.ts";
import { formatTable } from "./table.ts";
import { summarize } from "./workloads.ts";

const { values } = parseArgs({ options: { n: { type: "string", default: "2000" } } });
const n = Number(values.n);

type StoreCall = "acquireLease" | "load" | "commit" | "releaseLease";
const CALLS: readonly StoreCall[] = ["acquireLease", "load", "commit"];

interface Profile {
  turn: { p50Ms: number; p99Ms: number };
  calls: Record<StoreCall, number[]>;
}

/**
 * Times each store call a turn makes by wrapping the store's methods. bun:sqlite is synchronous,
 * so a call's own work is done when it returns its promise; timing until the promise settles
 * would also count whatever ran before the continuation (the lease acquire runs beside the load).
 */
function timed(store: ActorStore, calls: Record<StoreCall, number[]>): void {
  for (const name of CALLS) {
    const original = store[name].bind(store) as (...args: unknown[]) => Promise<unknown>;
    const wrapper = (...args: unknown[]): Promise<unknown> => {
      const t0 = performance.now();
      const pending = original(...args);
      calls[name].push(performance.now() - t0);
      return pending;
    };
    Object.assign(store, { [name]: wrapper });
  }
}

async function profileTurns(durability: "full" | "normal"): Promise<Profile> {
  const dir = await mkdtemp(join(tmpdir(), "durable-profile-"));
  const ports = openLocalPorts({ path: join(dir, "local.db"), durability });
  try {
    const calls: Record<StoreCall, number[]> = { acquireLease: [], load: [], commit: [], releaseLease: [] };
    const fabric = new Fabric({ ports, actors: [counter], owner: "profile" });
    for (let i = 0; i < 100; i++)
      await fabric.invoke({ actorId: "warm", handler: "increment", input: { by: 1 } });
    timed(ports.store, calls);
    const turns: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await fabric.invoke({ actorId: "hot", handler: "increment", input: { by: 1 } });
      turns.push(performance.now() - t0);
    }
    return { turn: summarize(turns), calls };
  } finally {
    ports.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function profileHttp(): Promise<{ p50Ms: number; p99Ms: number }> {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      await request.text();
      return Response.json({ mode: "sync", result: { count: 1 } });
    },
  });
  try {
    const url = `http://127.0.0.1:${server.port}/actors/hot/increment`;
    const once = async () => {
      const response = await fetch(url, {
        method: "POST",
        body: '{"by":1}',
        headers: { "content-type": "application/json" },
      });
      await response.text();
    };
    for (let i = 0; i < 100; i++) await once();
    const latencies: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await once();
      latencies.push(performance.now() - t0);
    }
    return summarize(latencies);
  } finally {
    server.stop(true);
  }
}

const ms = (x: number): string => x.toFixed(3);
const http = await profileHttp();
const rows: string[][] = [["per increment, p50 ms (p99)", "synchronous=FULL", "synchronous=NORMAL"]];
const full = await profileTurns("full");
const normal = await profileTurns("normal");
rows.push(["HTTP round trip, empty handler", `${ms(http.p50Ms)} (${ms(http.p99Ms)})`, ""]);
rows.push([
  "turn in process (Fabric.invoke)",
  `${ms(full.turn.p50Ms)} (${ms(full.turn.p99Ms)})`,
  `${ms(normal.turn.p50Ms)} (${ms(normal.turn.p99Ms)})`,
]);
for (const call of CALLS) {
  const f = summarize(full.calls[call]);
  const o = summarize(normal.calls[call]);
  rows.push([`  store.${call}`, `${ms(f.p50Ms)} (${ms(f.p99Ms)})`, `${ms(o.p50Ms)} (${ms(o.p99Ms)})`]);
}
console.log(`local fabric profile, ${n} sequential increments of one actor\n`);
console.log(formatTable(rows));
