/**
 * Starts the Miniflare peer in a Node host process of its own (host.mjs), so its memory is its
 * own: the Node host and workerd both count, as they would on a developer's machine.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnGroup } from "../processes.ts";

export interface MiniflareHostPeer {
  readonly url: string;
  /** The Node host: workerd runs in its process tree. */
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

export async function startMiniflareHost(): Promise<MiniflareHostPeer> {
  const persistDir = await mkdtemp(join(tmpdir(), "durable-bench-miniflare-"));
  const host = spawnGroup("node", [join(import.meta.dir, "host.mjs"), persistDir], {
    env: { ...process.env, NO_COLOR: "1" },
  });
  const stop = async (): Promise<void> => {
    await host.stop();
    await rm(persistDir, { recursive: true, force: true });
  };
  try {
    const ready = await host.ready(60_000);
    if (typeof ready.url !== "string")
      throw new Error(`the Miniflare host announced no url: ${JSON.stringify(ready)}`);
    return { url: ready.url, pids: [host.pid], stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
