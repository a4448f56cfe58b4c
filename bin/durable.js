#!/usr/bin/env node
// The `durable` bin runs on a machine that has only Node.js and npm: Bun arrives as an npm
// dependency, and this launcher finds its binary and hands the CLI to it.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function findBun() {
  if (process.versions.bun) return process.execPath;
  try {
    const pkg = require.resolve("bun/package.json");
    const candidate = join(dirname(pkg), "bin", "bun.exe");
    if (existsSync(candidate)) return candidate;
  } catch {}
  return "bun";
}

const child = spawn(findBun(), [join(here, "..", "cli", "main.ts"), ...process.argv.slice(2)], {
  stdio: "inherit",
});
// Forward signals so Ctrl-C (or a supervisor's SIGTERM) stops `durable dev` cleanly instead of orphaning it.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("error", (error) => {
  console.error(`durable: could not start Bun (${error.message}). Reinstall with npm install.`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  process.exit(code ?? (signal ? 128 + (signal === "SIGINT" ? 2 : 15) : 1));
});
