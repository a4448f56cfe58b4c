import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { CliContext } from "../../cli/context.ts";
import { parseInvokeArgv } from "../../cli/invoke-argv.ts";
import { runCli } from "../../cli/main.ts";
import { runProgram } from "../../cli/program.ts";
import { durable } from "../support/cli-process.ts";
import { type TempDir, tempDir } from "../support/temp-dir.ts";

/**
 * `durable invoke` parses its usual forms by hand instead of through commander (cli/main.ts). A
 * user must not be able to tell: every form the hand parser takes gives the same output, exit code
 * and effect as commander's parse, and every other form is left to commander.
 */
let dir: TempDir;
let project: string;

beforeAll(async () => {
  dir = tempDir("invoke-fast-");
  const init = await durable(["init", "counter", "--template", "counter", "--no-git", "--no-install"], {
    cwd: dir.path,
  });
  expect(init.code).toBe(0);
  project = join(dir.path, "counter");
});
afterAll(async () => {
  await dir[Symbol.asyncDispose]();
});

type Run = (argv: readonly string[], ctx: CliContext) => Promise<number>;

async function inProcess(run: Run, argv: string[], stdin?: string) {
  const out = { stdout: "", stderr: "" };
  const refuse = () => Promise.reject(new Error("no prompts here"));
  const ctx: CliContext = {
    cwd: project,
    env: { NO_COLOR: "1" },
    stdout: {
      write: (t) => {
        out.stdout += t;
      },
    },
    stderr: {
      write: (t) => {
        out.stderr += t;
      },
    },
    isTTY: false,
    prompts: { interactive: false, select: refuse, text: refuse, confirm: refuse },
    shell: { run: () => Promise.reject(new Error("no shell here")) },
    signal: new AbortController().signal,
    ...(stdin === undefined ? {} : { stdin: async () => stdin }),
  };
  const code = await run(["invoke", ...argv], ctx);
  return { code, ...out };
}

// "A" is replaced by an actor id of each path's own, so both start from the same (empty) actor.
const ACCEPTED: [argv: string[], stdin?: string][] = [
  [["A"]],
  [["A", "--sync"]],
  [["A", "--json"]],
  [["A", "increment", "--data", '{"by":2}', "--id", "k-1"]],
  [["A", "-d", '{"by":3}', "increment", "--json", "--id", "k-2"]],
  [["--sync", "A", "get", "--json"]],
  [["A", "--data", "-", "--id", "k-3"], '{"by":4}'],
  [["A", "--async", "--id", "k-4", "--json"]],
  [["A", "increment", "--actor", "counter", "--id", "k-5"]],
  [["A", "--sync", "--async"]],
  [["A", "nope", "--json"]],
  [["A", "--data", "{bad"]],
  [["A", "--data", '{"__proto__":{"x":1}}', "--json"]],
  [["A", "--id", ""]],
  [["A", "--stage", "nowhere"]],
  [["A", "-s", "nowhere", "--json"]],
  [["bad id!", "--json"]],
];

describe("the hand-parsed forms of invoke behave exactly as commander's parse of them", () => {
  // One object per case: bun takes a missing trailing argument for a `done` callback.
  test.each(ACCEPTED.map(([argv, stdin], i) => ({ i, argv, stdin })))("$argv", async ({ i, argv, stdin }) => {
    expect(parseInvokeArgv(argv)).toBeDefined();
    const as = (id: string) => argv.map((a) => (a === "A" ? id : a));
    const fast = await inProcess(runCli, as(`fast-${i}`), stdin);
    const full = await inProcess(runProgram, as(`full-${i}`), stdin);
    const same = (text: string) =>
      text
        .replaceAll(`fast-${i}`, "A")
        .replaceAll(`full-${i}`, "A")
        .replace(/[0-9a-f-]{36}/g, "<uuid>");
    expect({ ...fast, stdout: same(fast.stdout), stderr: same(fast.stderr) }).toEqual({
      ...full,
      stdout: same(full.stdout),
      stderr: same(full.stderr),
    });
  });
});

describe("every other form is left to commander, which explains it", () => {
  test.each([
    [[]],
    [["--help"]],
    [["A", "--help"]],
    [["A", "-h"]],
    [["A", "--data={}"]],
    [["A", "-d{}"]],
    [["A", "--sync", "--sync"]],
    [["A", "--id", "a", "--id", "b"]],
    [["A", "--data"]],
    [["A", "increment", "extra"]],
    [["A", "--dat", "{}"]],
    [["A", "--", "increment"]],
    [["-x"]],
  ])("%p", (argv) => {
    expect(parseInvokeArgv(argv)).toBeUndefined();
  });

  test("such a form still gets commander's answer through runCli", async () => {
    const r = await inProcess(runCli, ["A", "--dat", "{}"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown option '--dat' (did you mean --data?");
  });
});
