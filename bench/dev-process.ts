/**
 * Starts `durable dev` the way a user does: the package's `durable` bin (whatever it is: a launcher
 * that hands over to Bun, or Bun itself), executed directly, in a process group of its own. The
 * fabric's memory is that of every process in the bin's tree.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Group, spawnGroup } from "./processes.ts";

export const REPO_ROOT = join(import.meta.dir, "..");

/** The `durable` bin as package.json declares it: what `npx durable` and a global install run. */
export function durableBin(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
    bin: string | Record<string, string>;
  };
  const bin = typeof pkg.bin === "string" ? pkg.bin : pkg.bin.durable;
  if (!bin) throw new Error("package.json declares no durable bin");
  return join(REPO_ROOT, bin);
}

export interface DevProcess {
  readonly url: string;
  /** The bin's process: `durable dev`'s whole process tree hangs below it. */
  readonly pid: number;
  /** What the server wrote last, for error messages. */
  tail(): string;
  stop(): Promise<void>;
}

export async function startDevProcess(projectDir: string, timeoutMs = 30_000): Promise<DevProcess> {
  const group: Group = spawnGroup(durableBin(), ["dev", "--port", "0", "--json"], {
    cwd: projectDir,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined },
  });
  try {
    const ready = await group.ready(timeoutMs);
    if (typeof ready.url !== "string")
      throw new Error(`durable dev announced no url: ${JSON.stringify(ready)}`);
    return { url: ready.url, pid: group.pid, tail: group.tail, stop: () => group.stop() };
  } catch (error) {
    await group.stop();
    throw new Error(`durable dev did not start in ${projectDir}: ${(error as Error).message}`);
  }
}
