import { expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, userEnv } from "../support/cli-process.ts";
import { descendants } from "../support/process-tree.ts";
import { tempDir } from "../support/temp-dir.ts";

/** A clone's files: what git tracks plus this working tree's new files. */
function copyCheckout(to: string): void {
  const listed = Bun.spawnSync({ cmd: ["git", "ls-files", "-co", "--exclude-standard"], cwd: REPO_ROOT })
    .stdout.toString()
    .split("\n");
  for (const file of listed.filter(Boolean)) {
    if (!existsSync(join(REPO_ROOT, file))) continue;
    mkdirSync(join(to, file, ".."), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(to, file));
  }
}

// On a fresh clone (the root installed, bench/node_modules missing) the first `npm run bench` used
// to fail with "Cannot find package 'miniflare'": it installed bench/'s dependencies from inside
// the Bun process that then could not see them. --quick --only local runs the part that needs them.
test("npm run bench passes on a fresh clone at the first attempt, and leaves no process behind", async () => {
  await using dir = tempDir("bench-fresh-");
  copyCheckout(dir.path);
  expect(existsSync(join(dir.path, "bench", "node_modules"))).toBe(false);
  // The root's `npm ci`, shared: only bench/'s own install is under test.
  symlinkSync(join(REPO_ROOT, "node_modules"), join(dir.path, "node_modules"));
  const out = join(dir.path, "result.json");
  const bench = Bun.spawn({
    cmd: ["npm", "run", "bench", "--", "--quick", "--only", "local", "--out", out],
    cwd: dir.path,
    env: userEnv({ NO_COLOR: "1", npm_config_update_notifier: "false" }),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(bench.stdout).text(),
    new Response(bench.stderr).text(),
    bench.exited,
  ]);
  expect(code, `${stdout}\n${stderr}`).toBe(0);
  expect(stderr).toContain("installing bench dependencies");
  expect(stdout).toContain("Local, over HTTP");
  expect(JSON.parse(readFileSync(out, "utf8"))).toMatchObject({ quick: true, local: expect.any(Object) });
  expect(descendants(bench.pid)).toEqual([]);
}, 180_000);
