#!/usr/bin/env node
// The Node launcher, for where bin/durable (POSIX sh, which execs Bun) cannot run: no sh, or no
// Bun binary next to the package. It finds Bun and runs the CLI as its child; the child exits
// when this process goes away, even by SIGKILL (it watches DURABLE_PARENT_PID, see cli/lifecycle.ts).
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** Bun's binary: bun/bin/bun.exe once its postinstall ran, else the platform package's. */
function findBun() {
  if (process.versions.bun) return process.execPath;
  const candidates = [];
  try {
    candidates.push(join(dirname(require.resolve("bun/package.json")), "bin", "bun.exe"));
  } catch {}
  const arch = process.arch === "arm64" ? "aarch64" : process.arch;
  const os = process.platform === "win32" ? "windows" : process.platform;
  for (const suffix of ["", "-musl", "-baseline"]) {
    try {
      const pkg = dirname(require.resolve(`@oven/bun-${os}-${arch}${suffix}/package.json`));
      candidates.push(join(pkg, "bin", os === "windows" ? "bun.exe" : "bun"));
    } catch {}
  }
  for (const candidate of candidates)
    if (existsSync(candidate) && !isPlaceholder(candidate)) return candidate;
  return "bun";
}

/** Bun's package ships bin/bun.exe as a small shell script until its postinstall replaces it. */
function isPlaceholder(file) {
  const head = Buffer.alloc(4);
  try {
    const fd = openSync(file, "r");
    readSync(fd, head, 0, 4, 0);
    closeSync(fd);
  } catch {
    return true;
  }
  return head.toString("latin1") === "echo";
}

// This process stops when its own parent goes away, for the same reasons as the CLI (cli/lifecycle.ts).
const watchedParent = parentToWatch(process.env);
const child = spawn(findBun(), [join(here, "..", "cli", "main.ts"), ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, DURABLE_PARENT_PID: String(process.pid) },
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
if (watchedParent !== undefined) {
  setInterval(() => {
    if (process.ppid !== watchedParent) {
      child.kill("SIGTERM");
      process.exit(129);
    }
  }, 250).unref();
}
child.on("error", (error) => {
  console.error(`durable: could not start Bun (${error.message}). Reinstall with npm install.`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  const numbers = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  process.exit(code ?? (signal ? 128 + (numbers[signal] ?? 15) : 1));
});

/** The same rule as cli/lifecycle.ts: a parent that asked (DURABLE_PARENT_PID), or npm. */
function parentToWatch(env) {
  if (env.DURABLE_PARENT_PID) {
    return Number(env.DURABLE_PARENT_PID) === process.ppid ? process.ppid : undefined;
  }
  return env.npm_command || env.npm_lifecycle_event ? process.ppid : undefined;
}
