import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DURABLE_NODE_BIN, durable, REPO_ROOT, userEnv } from "../support/cli-process.ts";
import { type TempDir, tempDir } from "../support/temp-dir.ts";

/**
 * A local `durable invoke` runs from a bundle compiled by the project's first invoke
 * (cli/invoke-cache.ts) while the files it was built from are unchanged, and from source
 * otherwise. A user must never run stale code and must never see a difference in output.
 *
 * Which one ran is read off the probe actor: its handler returns the stack of an error it makes,
 * which names the file the handler's code was loaded from.
 */
let dir: TempDir;
let project: string;

const PROBE = `import { actor } from "../durable/index.ts";

export const probe = actor("probe", {
  state: () => ({}),
  handlers: {
    where: () => ({ stack: new Error("where").stack ?? "", answer: 1 }),
  },
});
`;

beforeAll(async () => {
  dir = tempDir("invoke-cache-");
  const init = await durable(["init", "counter", "--template", "counter", "--no-git", "--no-install"], {
    cwd: dir.path,
  });
  expect(init.code).toBe(0);
  project = join(dir.path, "counter");
  writeFileSync(join(project, "actors", "probe.ts"), PROBE);
  // A compile records nothing while an input is less than a second old (it may be mid-save).
  await Bun.sleep(1100);
});
afterAll(async () => {
  await dir[Symbol.asyncDispose]();
});

const cacheDir = (root: string) => join(root, ".durable", "cache", "invoke");
const manifest = (root: string) =>
  JSON.parse(readFileSync(join(cacheDir(root), "manifest.json"), "utf8")) as {
    root: string;
    bundle?: string;
    skipped?: string;
  };

async function where(root: string): Promise<{ stack: string; answer: number }> {
  const r = await durable(["invoke", "probe-1", "where", "--json"], { cwd: root });
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { result: { stack: string; answer: number } }).result;
}

const fromBundle = (stack: string) => stack.includes(join(".durable", "cache", "invoke", "invoke-"));
const fromSource = (stack: string) => stack.includes(join("actors", "probe.ts"));

describe("the compiled invoke path", () => {
  test("the first invoke runs from source and compiles; the next runs from the bundle, with the same output", async () => {
    expect(fromSource((await where(project)).stack)).toBe(true);
    expect(manifest(project).bundle).toBeDefined();
    expect(fromBundle((await where(project)).stack)).toBe(true);
    const compiled = await durable(["invoke", "counter-1", "--sync"], { cwd: project });
    rmSync(cacheDir(project), { recursive: true });
    const source = await durable(["invoke", "counter-1", "--sync"], { cwd: project });
    const same = (text: string) => text.replace(/version \d+/, "version N").replace(/[0-9a-f-]{36}/, "<id>");
    expect(compiled.code).toBe(0);
    expect(source.code).toBe(0);
    expect([JSON.parse(compiled.stdout), JSON.parse(source.stdout)]).toEqual([{ count: 1 }, { count: 2 }]);
    expect(same(compiled.stderr)).toBe(same(source.stderr));
    expect(fromBundle((await where(project)).stack)).toBe(true);
  });

  test("errors from the bundle are the source's: same line, same exit code, same --json body", async () => {
    expect(manifest(project).bundle).toBeDefined();
    const cases = [
      ["invoke", "bad id!", "--sync"],
      ["invoke", "counter-1", "nope", "--json"],
      ["invoke", "counter-1", "--data", "{bad"],
      ["invoke", "counter-1", "--sync", "--async"],
    ];
    const compiled = await Promise.all(cases.map((args) => durable(args, { cwd: project })));
    expect(fromBundle((await where(project)).stack)).toBe(true);
    rmSync(cacheDir(project), { recursive: true });
    // Failed invokes compile nothing, so these run from source.
    const source = await Promise.all(cases.map((args) => durable(args, { cwd: project })));
    expect(existsSync(cacheDir(project))).toBe(false);
    expect(compiled).toEqual(source);
    expect(compiled.every((r) => r.code === 1)).toBe(true);
  });

  test("an edited actor runs its new code at once", async () => {
    await where(project);
    expect(fromBundle((await where(project)).stack)).toBe(true);
    writeFileSync(join(project, "actors", "probe.ts"), PROBE.replace("answer: 1", "answer: 2"));
    const edited = await where(project);
    expect(edited.answer).toBe(2);
    expect(fromSource(edited.stack)).toBe(true);
  });

  test("an added actor file is served at once", async () => {
    writeFileSync(
      join(project, "actors", "echo.ts"),
      `import { actor } from "../durable/index.ts";\nexport const echo = actor("echo", { state: () => ({}), handlers: { say: (_ctx, input: { text: string }) => input } });\n`,
    );
    const r = await durable(["invoke", "echo-1", "say", "--data", '{"text":"hi"}', "--json"], {
      cwd: project,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).result).toEqual({ text: "hi" });
  });

  test("a copy of the project runs its own files, not the bundle of the original", async () => {
    await where(project);
    await Bun.sleep(1100);
    await where(project);
    expect(fromBundle((await where(project)).stack)).toBe(true);
    const copy = join(dir.path, "copy");
    cpSync(project, copy, { recursive: true });
    writeFileSync(join(copy, "actors", "probe.ts"), PROBE.replace("answer: 1", "answer: 3"));
    const inCopy = await where(copy);
    expect(inCopy.answer).toBe(3);
    expect(inCopy.stack).toContain(copy);
    expect(inCopy.stack).not.toContain(`${project}/`);
  });

  test("code that finds files relative to itself is never compiled, and still runs", async () => {
    await using own = tempDir("invoke-cache-self-");
    const init = await durable(["init", "p", "--template", "counter", "--no-git", "--no-install"], {
      cwd: own.path,
    });
    expect(init.code).toBe(0);
    const root = join(own.path, "p");
    writeFileSync(
      join(root, "actors", "here.ts"),
      `import { actor } from "../durable/index.ts";\nexport const here = actor("here", { state: () => ({}), handlers: { dir: () => ({ dir: import.meta.dir }) } });\n`,
    );
    await Bun.sleep(1100);
    for (let i = 0; i < 2; i++) {
      const r = await durable(["invoke", "here-1", "dir", "--json"], { cwd: root });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).result).toEqual({ dir: join(root, "actors") });
    }
    expect(manifest(root).bundle).toBeUndefined();
    expect(manifest(root).skipped).toContain(join("actors", "here.ts"));
  });

  test("the Node launcher (bin/durable.js) runs the bundle too", async () => {
    await where(project);
    expect(fromBundle((await where(project)).stack)).toBe(true);
    const r = Bun.spawnSync({
      cmd: ["node", DURABLE_NODE_BIN, "invoke", "probe-1", "where", "--json"],
      cwd: project,
      env: userEnv(),
    });
    expect(r.exitCode, r.stderr.toString()).toBe(0);
    expect(fromBundle(JSON.parse(r.stdout.toString()).result.stack)).toBe(true);
  });

  test("another durable run in the project runs its own code, not the bundle of the first", async () => {
    await where(project);
    expect(fromBundle((await where(project)).stack)).toBe(true);
    await using other = tempDir("invoke-cache-cli-");
    for (const part of ["bin", "cli", "runtime", "infra", "templates", "package.json"]) {
      cpSync(join(REPO_ROOT, part), join(other.path, part), { recursive: true });
    }
    symlinkSync(join(REPO_ROOT, "node_modules"), join(other.path, "node_modules"));
    // Something a user would see differ between the two.
    const output = join(other.path, "cli", "output.ts");
    const changed = readFileSync(output, "utf8").replace(
      "target(description: string): void {",
      'target(description: string): void {\n    description = "(other) " + description;',
    );
    expect(changed).toContain('"(other) "');
    writeFileSync(output, changed);
    const run = (bin: string) =>
      Bun.spawnSync({ cmd: [bin, "invoke", "counter-1"], cwd: project, env: userEnv({ NO_COLOR: "1" }) });
    const byOther = run(join(other.path, "bin", "durable"));
    expect(byOther.exitCode).toBe(0);
    expect(byOther.stderr.toString()).toContain("→ (other) local fabric");
    const byFirst = run(join(REPO_ROOT, "bin", "durable"));
    expect(byFirst.exitCode).toBe(0);
    expect(byFirst.stderr.toString()).toContain("→ local fabric");
  });

  test("a damaged cache is ignored", async () => {
    writeFileSync(join(cacheDir(project), "manifest.json"), "{not json");
    const r = await durable(["invoke", "counter-1", "get", "--json"], { cwd: project });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).result.count).toBeGreaterThan(0);
  });
});
