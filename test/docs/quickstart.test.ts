import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, userEnv } from "../support/cli-process.ts";
import { type Moto, motoServer } from "../support/moto.ts";
import { type TempDir, tempDir } from "../support/temp-dir.ts";

/**
 * A newcomer's path through the README, each block run as written: the quickstart in a fresh
 * copy of the repository, `durable` on PATH from a global install, and moving the generated
 * project after the checkout it came from is gone.
 */
const readmeLine = (which: "run" | "test") =>
  Bun.spawnSync({ cmd: ["node", join(REPO_ROOT, ".ci", "readme-line.mjs"), which] })
    .stdout.toString()
    .trim();

/** The lines of the first sh block of a README section, without their comments. */
function readmeBlock(section: string): string[] {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const body = readme.split(/^## /m).find((s) => s.startsWith(section)) ?? "";
  const block = /```sh\n([\s\S]*?)\n```/.exec(body)?.[1] ?? "";
  return block
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter(Boolean);
}

/** The files a fresh clone has: what git tracks, plus this working tree's not-yet-committed files. */
function copyCheckout(to: string): void {
  const listed = Bun.spawnSync({
    cmd: ["git", "ls-files", "-co", "--exclude-standard"],
    cwd: REPO_ROOT,
  }).stdout.toString();
  for (const file of listed.split("\n").filter(Boolean)) {
    if (file.startsWith("bench/") || file.startsWith("test/")) continue;
    mkdirSync(join(to, file, ".."), { recursive: true });
    try {
      cpSync(join(REPO_ROOT, file), join(to, file));
    } catch {
      // A file listed by git but deleted in the working tree is not part of the checkout.
    }
  }
}

function bash(script: string, cwd: string, env: Record<string, string | undefined>) {
  const run = Bun.spawnSync({
    cmd: ["bash", "-c", script],
    cwd,
    env: userEnv({ CI: "true", NO_COLOR: "1", npm_config_update_notifier: "false", ...env }),
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: run.exitCode, stdout: run.stdout.toString(), stderr: run.stderr.toString() };
}

let dir: TempDir;
let checkout: string;
let quickstart: ReturnType<typeof bash>;

beforeAll(() => {
  dir = tempDir("quickstart-");
  checkout = join(dir.path, "durable-lambda");
  copyCheckout(checkout);
  quickstart = bash(readmeLine("run"), checkout, {});
}, 300_000);
afterAll(async () => {
  await dir[Symbol.asyncDispose]();
});

describe("the README, run as written", () => {
  test("the quickstart line works verbatim in a fresh copy of the repo: a counter project answers count 1", () => {
    expect(readmeLine("run")).toStartWith("npm ci && ");
    expect(quickstart.code, quickstart.stderr).toBe(0);
    expect(quickstart.stdout).toContain('"count": 1');
  });

  test("CI runs exactly the README's test line, which is npm ci && npm test", () => {
    expect(readmeLine("test")).toBe("npm ci && npm test");
    expect(readFileSync(join(REPO_ROOT, ".ci", "run"), "utf8")).toContain(
      'test_line="$(node .ci/readme-line.mjs test)"',
    );
  });

  test("`durable` on PATH: after npm install -g into a prefix, the bare commands work as typed", async () => {
    const lines = readmeBlock("`durable` on your PATH");
    expect(lines).toEqual([
      "durable init --template leaderboard",
      "durable init --template counter",
      "cd counter",
      "durable invoke counter-1 --sync",
      "durable state get counter-1",
      "durable deploy",
    ]);
    const prefix = join(dir.path, "global");
    const install = bash(`npm install -g . --prefix ${prefix} --no-audit --no-fund`, checkout, {});
    expect(install.code, install.stderr).toBe(0);
    const moto: Moto = await motoServer();
    const work = join(dir.path, "work");
    const home = join(dir.path, "home");
    mkdirSync(work);
    mkdirSync(home);
    // Only the global prefix provides `durable`: the checkout's own node_modules/.bin is not on PATH.
    const env = {
      PATH: `${join(prefix, "bin")}:${process.env.PATH}`,
      HOME: home,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_REGION: "eu-west-3",
    };
    expect(bash("command -v durable", work, env).stdout.trim()).toBe(join(prefix, "bin", "durable"));
    // Without a terminal, deploy bootstraps a region only with --yes: prepare it once beforehand.
    const [initLeaderboard, ...rest] = lines;
    const first = bash(initLeaderboard ?? "", work, env);
    expect(first.code, first.stderr).toBe(0);
    const bootstrap = bash("durable deploy --stage boot --yes", join(work, "leaderboard"), env);
    expect(bootstrap.code, bootstrap.stderr).toBe(0);

    const run = bash(`set -e\n${rest.join("\n")}`, work, env);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(existsSync(join(work, "leaderboard", "actors", "leaderboard.ts"))).toBe(true);
    expect(run.stdout).toContain('"count": 1');
    expect(run.stderr).toContain("counter-1 (counter) version 1");
    expect(run.stderr).toMatch(/deployed counter-dev in [\d.]+ s/);
  }, 300_000);

  test("Moving a project: with the checkout it came from gone, a copied project installs, tests and serves", async () => {
    const project = join(checkout, "my-counter");
    const pkg = readFileSync(join(project, "package.json"), "utf8");
    expect(pkg).toContain('"durable-lambda": "file:vendor/durable-lambda-0.1.0.tgz"');
    expect(pkg).not.toContain(checkout);
    // Out of reach: the checkout (with the project in it) is renamed away.
    const gone = join(dir.path, "moved-away");
    renameSync(checkout, gone);
    // Without node_modules, as a clone of the project has it: only vendor/ can provide durable now.
    rmSync(join(gone, "my-counter", "node_modules"), { recursive: true });
    const home = join(dir.path, "home-moving");
    mkdirSync(join(home, "projects"), { recursive: true });
    const lines = readmeBlock("Moving a project");
    expect(lines).toEqual([
      "cp -R my-counter ~/projects/",
      "cd ~/projects/my-counter",
      "npm install",
      "npm test",
      "npx durable dev",
    ]);
    const steps = lines.slice(0, -1);
    const run = bash(`set -e\n${steps.join("\n")}`, gone, { HOME: home });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(`${run.stdout}${run.stderr}`).toMatch(/\b0 fail\b/);

    // The last line serves until stopped: run it on a free port, call the actor, stop it.
    const moved = join(home, "projects", "my-counter");
    const dev = Bun.spawn({
      cmd: ["bash", "-c", `${lines.at(-1)} --port 0 --json`],
      cwd: moved,
      env: userEnv({ HOME: home, NO_COLOR: "1", npm_config_update_notifier: "false" }),
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      const reader = dev.stdout.getReader();
      let text = "";
      while (!text.includes('"type":"ready"')) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`npx durable dev exited: ${await new Response(dev.stderr).text()}`);
        text += new TextDecoder().decode(value);
      }
      const ready = text.split("\n").find((l) => l.includes('"type":"ready"')) ?? "{}";
      const { url } = JSON.parse(ready) as { url: string };
      const answer = await fetch(`${url}/actors/counter-1/increment`, { method: "POST", body: "{}" });
      expect(await answer.json()).toMatchObject({ result: { count: 2 }, version: 2 });
    } finally {
      dev.kill("SIGTERM");
      await dev.exited;
    }
  }, 300_000);
});
