/**
 * Starts Miniflare (workerd) serving the counter Durable Object over the same HTTP path as
 * `durable dev`, so one workload measures both. Storage persists to a directory on disk:
 * an in-memory peer would flatter Durable Objects against our SQLite file.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

export interface MiniflarePeer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41345 */
  readonly url: string;
  readonly persistDir: string;
  stop(): Promise<void>;
}

export interface MiniflarePeerOptions {
  /** Reuse a directory (to show state survives a restart); it is then kept on stop. */
  persistDir?: string;
}

// Pinned so a Miniflare upgrade cannot change runtime behaviour under the benchmark.
const COMPATIBILITY_DATE = "2025-09-01";

export async function startMiniflarePeer(options: MiniflarePeerOptions = {}): Promise<MiniflarePeer> {
  const owned = options.persistDir === undefined;
  const persistDir = options.persistDir ?? (await mkdtemp(join(tmpdir(), "durable-bench-miniflare-")));
  const mf = new Miniflare({
    modules: true,
    scriptPath: fileURLToPath(new URL("./counter-worker.js", import.meta.url)),
    compatibilityDate: COMPATIBILITY_DATE,
    // SQLite-backed, like Cloudflare's default for new classes and like our local backend.
    durableObjects: { COUNTER: { className: "Counter", useSQLite: true } },
    durableObjectsPersist: join(persistDir, "do"),
    host: "127.0.0.1",
    // 0 lets the OS pick a free port; `ready` reports the one workerd bound.
    port: 0,
  });
  let ready: URL;
  try {
    ready = await mf.ready;
  } catch (error) {
    await mf.dispose().catch(() => undefined);
    if (owned) await rm(persistDir, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;
  return {
    url: ready.origin,
    persistDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await mf.dispose();
      if (owned) await rm(persistDir, { recursive: true, force: true });
    },
  };
}
