import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CliContext } from "../../cli/context.ts";
import { runCli } from "../../cli/main.ts";
import { type DevProcess, durable, REPO_ROOT, startDev } from "../support/cli-process.ts";
import { type TempDir, tempDir } from "../support/temp-dir.ts";

/** The CLI in this process, for --help: what it printed and its exit code. */
async function inProcess(args: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const write = {
    write: (t: string) => {
      out += t;
    },
  };
  const refuse = () => Promise.reject(new Error("no prompts here"));
  const ctx: CliContext = {
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdout: write,
    stderr: write,
    isTTY: false,
    prompts: { interactive: false, select: refuse, text: refuse, confirm: refuse },
    shell: { run: () => Promise.reject(new Error("no shell here")) },
    signal: new AbortController().signal,
  };
  const code = await runCli(args, ctx);
  return { code, out };
}

const COMMANDS = [
  "",
  "init",
  "dev",
  "invoke",
  "state",
  "state get",
  "state tail",
  "state unpark",
  "state list",
  "inspect",
  "logs",
  "test",
  "build",
  "deploy",
  "destroy",
];

describe("help that teaches", () => {
  test.each(COMMANDS)("durable %s --help shows examples", async (command) => {
    const { code, out } = await inProcess([...command.split(" ").filter(Boolean), "--help"]);
    expect(code).toBe(0);
    expect(out).toContain("\nExamples:\n  $ durable");
  });

  test("invoke --help says --sync is the default without claiming its default is false", async () => {
    const { out } = await inProcess(["invoke", "--help"]);
    expect(out).toMatch(/--sync\s+wait for the result \(the default\)\n/);
    expect(out).not.toContain("(default: false)");
    expect(out).toContain("@file.json, or - to read");
  });
});

let dir: TempDir;
let project: string;
let dev: DevProcess;

beforeAll(async () => {
  dir = tempDir("help-errors-");
  const init = await durable(["init", "counter", "--template", "counter", "--no-git", "--no-install"], {
    cwd: dir.path,
  });
  expect(init.code).toBe(0);
  project = join(dir.path, "counter");
});
afterAll(async () => {
  await dev?.[Symbol.asyncDispose]();
  await dir[Symbol.asyncDispose]();
});

describe("mistakes get the nearest command or option", () => {
  test.each([
    [["frobnicate"], "unknown command 'frobnicate'", "`durable --help` lists the commands"],
    [["invok", "counter-1"], "unknown command 'invok'", "did you mean `durable invoke`?"],
    [["state", "gte", "counter-1"], "unknown command 'gte'", "did you mean `durable state get`?"],
    [["invoke", "counter-1", "--dat", "{}"], "unknown option '--dat'", "did you mean --data?"],
    [["state", "get", "counter-1", "--jsno"], "unknown option '--jsno'", "did you mean --json?"],
  ])("durable %p: one line with a suggestion, exit 1", async (args, what, hint) => {
    const r = await durable(args, { cwd: project });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toStartWith(`error: ${what}`);
    expect(lines[0]).toContain(hint);
  });

  test("durable frobnicate still suggests a command, however far it is from all of them", async () => {
    const r = await durable(["frobnicate"], { cwd: project });
    expect(r.stderr).toMatch(/did you mean `durable [a-z]+`\?/);
  });
});

describe("--json turns every error into { error: { code, message, hint } } on stdout, same exit code", () => {
  test.each([
    [["invoke", "bad id!", "--json"], "INVALID_ACTOR_ID", 1],
    [["invoke", "counter-1", "nope", "--json"], "UNKNOWN_HANDLER", 1],
    [["state", "get", "counter-77", "--json"], "ACTOR_NOT_FOUND", 1],
    [["frobnicate", "--json"], "UNKNOWN_COMMAND", 1],
    [["invoke", "counter-1", "--dat", "{}", "--json"], "UNKNOWN_OPTION", 1],
    [["invoke", "--json"], "USAGE", 1],
  ])("durable %p", async (args, code, exitCode) => {
    const r = await durable(args, { cwd: project });
    expect(r.code).toBe(exitCode);
    const body = JSON.parse(r.stdout) as { error: { code: string; message: string; hint?: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(5);
    expect(r.stderr).not.toContain("error:");
  });
});

describe("one time format: ISO 8601 wherever a person reads time", () => {
  const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

  // Timers (`timers.<name>.at`) are checked on the cron template's scheduler (test/templates).
  test("state get, state list and the dev HTTP API show the same records with ISO updatedAt", async () => {
    await durable(["invoke", "counter-1", "--sync"], { cwd: project });
    const cli = JSON.parse((await durable(["state", "get", "counter-1", "--json"], { cwd: project })).stdout);
    expect(cli.updatedAt).toMatch(ISO);
    const list = JSON.parse((await durable(["state", "list", "--json"], { cwd: project })).stdout);
    expect(list.actors[0].updatedAt).toMatch(ISO);
    dev = await startDev(project);
    const http = await (await fetch(`${dev.url}/actors/counter-1/state`)).json();
    expect(http).toEqual(cli);
    const actors = await (await fetch(`${dev.url}/actors`)).json();
    expect(actors).toEqual(
      list.actors.map((a: Record<string, unknown>) => ({
        actorId: a.actorId,
        actorType: a.actorType,
        version: a.version,
        updatedAt: a.updatedAt,
      })),
    );
  });
});

describe("small things a newcomer reads", () => {
  test("init . prints no `cd .`, and --no-install's next steps say to run npm install", async () => {
    await using empty = tempDir("init-here-");
    const r = await durable(["init", ".", "--template", "counter", "--no-git", "--no-install"], {
      cwd: empty.path,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("cd .");
    expect(r.stdout).toMatch(/Next steps:\n {2}npm install /);
  });

  test("the README's example imports the runtime the way generated actors do", () => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    const generated = readFileSync(join(project, "actors", "counter.ts"), "utf8");
    const importLine = /^import \{ actor \} from "[^"]+";$/m;
    expect(readme.match(importLine)?.[0]).toBe(generated.match(importLine)?.[0]);
  });
});
