/**
 * Starts the Restate peer the way a Restate user runs one locally: `restate-server` (1.7, from
 * npm) with its default configuration on free ports and a fresh data directory, the counter
 * virtual object as a Bun service, registered through the admin API. Both processes are counted
 * in its memory.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../test/support/free-port.ts";
import { type Group, spawnGroup } from "../processes.ts";

export interface RestatePeer {
  /** The ingress, where `POST /actors/:id/increment` reaches the counter. */
  readonly url: string;
  /** restate-server and the Bun service: the roots whose process trees make up the peer. */
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

const BUN = process.execPath;

/**
 * The server binary the npm package ships for this platform. Found by path, not through the
 * module resolver: this Bun process started before `npm ci --prefix bench` created the directory,
 * and Bun keeps a failed lookup for the life of the process.
 */
function serverBinary(): string {
  const name = `restate-server-${process.platform}-${process.arch}`;
  const binary = join(import.meta.dir, "..", "node_modules", "@restatedev", name, "bin", "restate-server");
  if (!existsSync(binary))
    throw new Error(`no ${binary}: run npm ci --prefix bench (Restate ships ${name} for this platform)`);
  return binary;
}

export async function startRestatePeer(): Promise<RestatePeer> {
  const baseDir = await mkdtemp(join(tmpdir(), "durable-bench-restate-"));
  const [ingress, admin, fabric, service] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const groups: Group[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(groups.map((g) => g.stop()));
    await rm(baseDir, { recursive: true, force: true });
  };
  try {
    const server = spawnGroup(serverBinary(), ["--base-dir", baseDir, "--no-logo", "--listen-mode", "tcp"], {
      env: {
        ...process.env,
        RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${ingress}`,
        RESTATE_ADMIN__BIND_ADDRESS: `127.0.0.1:${admin}`,
        RESTATE_BIND_ADDRESS: `127.0.0.1:${fabric}`,
        RESTATE_DISABLE_TELEMETRY: "true",
        RESTATE_LOG_FORMAT: "compact",
      },
    });
    groups.push(server);
    const svc = spawnGroup(BUN, [join(import.meta.dir, "service.ts"), String(service)], {
      env: { ...process.env, NO_COLOR: "1" },
    });
    groups.push(svc);
    await svc.ready(30_000);
    await register(`http://127.0.0.1:${admin}`, `http://127.0.0.1:${service}`, server);
    const url = `http://127.0.0.1:${ingress}`;
    await untilServing(url, server);
    return { url, pids: [server.pid, svc.pid], stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Registers the service's deployment once the admin API answers (the server takes seconds to start). */
async function register(adminUrl: string, serviceUrl: string, server: Group): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${adminUrl}/deployments`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ uri: serviceUrl }),
        signal: AbortSignal.timeout(5_000),
      });
      if (response.ok) return;
      last = `HTTP ${response.status} ${(await response.text()).slice(0, 300)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await Bun.sleep(200);
  }
  throw new Error(`restate-server never registered the counter service (${last}): ${server.tail()}`);
}

/** The ingress learns of a new deployment shortly after the admin API accepts it. */
async function untilServing(url: string, server: Group): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/actors/restate-ready/increment`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"by":1}',
        signal: AbortSignal.timeout(5_000),
      });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await Bun.sleep(100);
  }
  throw new Error(`Restate's ingress never served the counter (${last}): ${server.tail()}`);
}
