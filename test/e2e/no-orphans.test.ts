import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { DURABLE_BIN, DURABLE_NODE_BIN, durable, userEnv } from "../support/cli-process.ts";
import { commandName, descendants, exitsWithin } from "../support/process-tree.ts";
import { type TempDir, tempDir } from "../support/temp-dir.ts";

/**
 * `durable dev` leaves nothing running when whatever started it stops: the Bun process serving
 * the fabric (found by its real pid) exits within 2 s and its port closes, whichever launcher
 * ran it and whichever way that launcher (or the npx in front of it) was stopped.
 */
let dir: TempDir;
let project: string;

beforeAll(async () => {
  dir = tempDir("no-orphans-");
  const init = await durable(["init", "counter", "--template", "counter", "--no-git", "--no-install"], {
    cwd: dir.path,
  });
  expect(init.code).toBe(0);
  project = join(dir.path, "counter");
  // What `npm install` puts there for npx to find, linked to this checkout's launcher.
  mkdirSync(join(project, "node_modules", ".bin"), { recursive: true });
  symlinkSync(DURABLE_BIN, join(project, "node_modules", ".bin", "durable"));
});
afterAll(async () => {
  await dir[Symbol.asyncDispose]();
});

type Launch = "bin/durable" | "node bin/durable.js" | "npx durable";
const COMMANDS: Record<Launch, string[]> = {
  "bin/durable": [DURABLE_BIN],
  "node bin/durable.js": ["node", DURABLE_NODE_BIN],
  "npx durable": ["npx", "durable"],
};

interface Running {
  launcher: ChildProcess & { pid: number };
  bunPid: number;
  port: number;
}

/** Starts `durable dev` through `launch`, in its own process group as a terminal would. */
async function startDev(launch: Launch): Promise<Running> {
  const [command = "", ...args] = COMMANDS[launch];
  const launcher = spawn(command, [...args, "dev", "--port", "0", "--json"], {
    cwd: project,
    env: userEnv({ NO_COLOR: "1", npm_config_update_notifier: "false" }),
    stdio: ["ignore", "pipe", "ignore"],
    detached: true,
  });
  if (launcher.pid === undefined) throw new Error(`${launch} did not start`);
  const port = await readyPort(launcher);
  const bun =
    launch === "bin/durable"
      ? launcher.pid
      : descendants(launcher.pid).find((p) => p.comm.startsWith("bun"))?.pid;
  if (bun === undefined) throw new Error(`no Bun process under ${launch} (pid ${launcher.pid})`);
  return { launcher: launcher as Running["launcher"], bunPid: bun, port };
}

function readyPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`durable dev printed no ready line: ${text}`)), 20_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const ready = text.split("\n").find((line) => line.startsWith('{"type":"ready"'));
      if (ready) {
        clearTimeout(timer);
        resolve((JSON.parse(ready) as { port: number }).port);
      }
    });
    child.once("exit", (code) => reject(new Error(`durable dev exited (${code}): ${text}`)));
  });
}

function portRefuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

describe("durable dev leaves no process behind", () => {
  test("bin/durable execs Bun: the process npm's bin starts is Bun itself, with no launcher in between", async () => {
    const dev = await startDev("bin/durable");
    try {
      expect(commandName(dev.launcher.pid)).toStartWith("bun");
      expect(descendants(dev.launcher.pid).filter((p) => p.comm.startsWith("bun"))).toEqual([]);
    } finally {
      dev.launcher.kill("SIGTERM");
      expect(await exitsWithin(dev.bunPid, 2_000)).toBe(true);
    }
  });

  const cases: [Launch, NodeJS.Signals][] = [
    ["bin/durable", "SIGTERM"],
    ["bin/durable", "SIGINT"],
    ["bin/durable", "SIGHUP"],
    ["node bin/durable.js", "SIGTERM"],
    ["node bin/durable.js", "SIGINT"],
    ["node bin/durable.js", "SIGHUP"],
    ["node bin/durable.js", "SIGKILL"],
    ["npx durable", "SIGTERM"],
    ["npx durable", "SIGHUP"],
    ["npx durable", "SIGKILL"],
  ];
  test.each(cases)(
    "%s, sent %s: the Bun process exits within 2 s and its port closes",
    async (launch, signal) => {
      const dev = await startDev(launch);
      try {
        dev.launcher.kill(signal);
        expect(await exitsWithin(dev.bunPid, 2_000)).toBe(true);
        expect(await portRefuses(dev.port)).toBe(true);
      } finally {
        stopLeftovers(dev);
      }
    },
  );

  // A terminal's Ctrl-C reaches the whole foreground process group. (A lone SIGINT sent to npx's
  // pid is passed by npm to the shell it ran `durable` in, and sh waits for its child: it never
  // reaches Bun, nor is anything left behind, since npx keeps running too.)
  test("npx durable, Ctrl-C (SIGINT to its process group): the Bun process exits within 2 s and its port closes", async () => {
    const dev = await startDev("npx durable");
    try {
      process.kill(-dev.launcher.pid, "SIGINT");
      expect(await exitsWithin(dev.bunPid, 2_000)).toBe(true);
      expect(await portRefuses(dev.port)).toBe(true);
    } finally {
      stopLeftovers(dev);
    }
  });
});

/** Only after a failed assertion: nothing may run on into the next test. */
function stopLeftovers(dev: Running): void {
  for (const pid of [dev.bunPid, dev.launcher.pid]) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone, as it should be.
    }
  }
}
