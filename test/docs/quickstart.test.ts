import { describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, userEnv } from "../support/cli-process.ts";
import { tempDir } from "../support/temp-dir.ts";

const readmeLine = (which: "run" | "test") =>
  Bun.spawnSync({ cmd: ["node", join(REPO_ROOT, ".ci", "readme-line.mjs"), which] })
    .stdout.toString()
    .trim();

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

describe("the README quickstart", () => {
  test("the run line works verbatim in a fresh copy of the repo: a counter project answers count 1", async () => {
    const line = readmeLine("run");
    expect(line).toStartWith("npm ci && ");
    await using dir = tempDir("quickstart-");
    copyCheckout(dir.path);
    const run = Bun.spawnSync({
      cmd: ["bash", "-c", line],
      cwd: dir.path,
      env: userEnv({ CI: "true" }),
      stdout: "pipe",
      stderr: "pipe",
    });
    const out = run.stdout.toString();
    expect(run.exitCode, run.stderr.toString()).toBe(0);
    expect(out).toContain('"count": 1');
  });

  test("CI runs exactly the README's test line, which is npm ci && npm test", () => {
    expect(readmeLine("test")).toBe("npm ci && npm test");
    expect(readFileSync(join(REPO_ROOT, ".ci", "run"), "utf8")).toContain(
      'test_line="$(node .ci/readme-line.mjs test)"',
    );
  });
});
