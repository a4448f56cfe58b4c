/**
 * `npm run bench` runs this first: the peers (Miniflare, Restate) live in bench/'s own package (the main install
 * stays lean), and it must be installed before the benchmark's Bun process starts. Bun remembers
 * a missing node_modules for the life of a process, so installing from inside run.ts made the
 * first run on a fresh clone fail with "Cannot find package 'miniflare'".
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

const peers = ["miniflare", "@restatedev/restate-server", "@restatedev/restate-sdk"];
if (!peers.every((name) => existsSync(join(import.meta.dir, "node_modules", name, "package.json")))) {
  console.error("installing bench dependencies (npm ci --prefix bench)");
  const npm = Bun.spawnSync({
    cmd: ["npm", "ci", "--prefix", import.meta.dir, "--no-audit", "--no-fund"],
    stdout: "inherit",
    stderr: "inherit",
  });
  process.exit(npm.exitCode);
}
