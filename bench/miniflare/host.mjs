// The Miniflare peer as a Workers user runs it: a Node process hosting Miniflare, which runs the
// counter Durable Object in workerd (a child of this process). Prints {"type":"ready","url":…}
// once it serves, and stops (taking workerd with it) on SIGTERM or SIGINT.
//
//   node bench/miniflare/host.mjs <persist dir>

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

const persistDir = process.argv[2];
if (!persistDir) {
  console.error("usage: node host.mjs <persist dir>");
  process.exit(2);
}
const mf = new Miniflare({
  modules: true,
  scriptPath: fileURLToPath(new URL("./counter-worker.js", import.meta.url)),
  // Pinned so a Miniflare upgrade cannot change runtime behaviour under the benchmark.
  compatibilityDate: "2025-09-01",
  // SQLite-backed, like Cloudflare's default for new classes and like our local backend.
  durableObjects: { COUNTER: { className: "Counter", useSQLite: true } },
  durableObjectsPersist: join(persistDir, "do"),
  host: "127.0.0.1",
  port: 0,
});
const ready = await mf.ready;
console.log(JSON.stringify({ type: "ready", url: ready.origin }));
let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await mf.dispose().catch(() => undefined);
    process.exit(0);
  });
}
