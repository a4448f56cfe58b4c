import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runInit } from "../../cli/commands/init.ts";
import type { CliContext } from "../../cli/context.ts";
import type { Prompts, SelectOption } from "../../cli/prompts.ts";
import { bunShell, type Shell } from "../../cli/shell.ts";
import { TEMPLATES } from "../../cli/templates.ts";
import { DURABLE_BIN, run, TEMPLATE_NAMES, type TempDir, tempDir } from "./fixtures.ts";

let root: TempDir;
beforeAll(async () => {
  root = await tempDir("durable-init-prompts-");
});
afterAll(async () => {
  await root[Symbol.asyncDispose]();
});

interface Asked {
  selects: { message: string; options: SelectOption<string>[]; initial: string | undefined }[];
  texts: { message: string; initial: string }[];
  commands: string[][];
}

/** A context as a terminal gives it, with prompts that record each question and answer from a script. */
function ttyContext(
  cwd: string,
  answers: { template: string; dir?: string },
): { ctx: CliContext; asked: Asked } {
  const asked: Asked = { selects: [], texts: [], commands: [] };
  const prompts: Prompts = {
    interactive: true,
    async select<T extends string>(message: string, options: SelectOption<T>[], initial?: T): Promise<T> {
      asked.selects.push({ message, options, initial });
      const chosen = options.find((o) => o.value === answers.template);
      if (!chosen) throw new Error(`no option ${answers.template}`);
      return chosen.value;
    },
    async text(message, initial) {
      asked.texts.push({ message, initial });
      return answers.dir ?? initial;
    },
    async confirm(_message, initial) {
      return initial;
    },
  };
  // Packing the CLI into the project really runs (the project must name a real file); git and
  // npm install are only recorded.
  const shell: Shell = {
    async run(command, options) {
      asked.commands.push([...command]);
      if (command[0] === "npm" && command[1] === "pack") return bunShell.run(command, options);
      return { exitCode: 0, stdout: "", stderr: "" };
    },
  };
  const sink = { write: () => undefined };
  const ctx: CliContext = {
    cwd,
    env: { NO_COLOR: "1" },
    stdout: sink,
    stderr: sink,
    isTTY: true,
    prompts,
    shell,
    signal: new AbortController().signal,
  };
  return { ctx, asked };
}

const noFlags = { dir: undefined, template: undefined, yes: false, install: false, git: false, json: false };

describe("durable init on a TTY", () => {
  test("without --template it offers the six templates with their descriptions, then asks the directory", async () => {
    const { ctx, asked } = ttyContext(root.path, { template: "distributed-cron", dir: "my-cron" });
    const result = await runInit(noFlags, ctx);
    expect(asked.selects).toHaveLength(1);
    const [select] = asked.selects;
    expect(select?.message).toBe("Which template?");
    expect(select?.options.map((o) => o.value)).toEqual([...TEMPLATE_NAMES]);
    expect(select?.options.map((o) => o.hint)).toEqual(TEMPLATES.map((t) => t.description));
    expect(select?.options.every((o) => typeof o.hint === "string" && o.hint.length > 20)).toBe(true);
    expect(select?.initial).toBe("counter");
    expect(asked.texts).toEqual([{ message: "Project directory", initial: "distributed-cron" }]);
    expect(result).toMatchObject({
      template: "distributed-cron",
      dir: join(root.path, "my-cron"),
      installed: false,
      git: false,
    });
    expect(existsSync(join(root.path, "my-cron", "actors", "cron.ts"))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(root.path, "my-cron", "package.json"), "utf8")) as {
      name: string;
    };
    expect(pkg.name).toBe("my-cron");
  });

  test("the directory question defaults to the template name", async () => {
    const { ctx, asked } = ttyContext(root.path, { template: "circuit-breaker" });
    const result = await runInit(noFlags, ctx);
    expect(asked.texts).toEqual([{ message: "Project directory", initial: "circuit-breaker" }]);
    expect(result.dir).toBe(join(root.path, "circuit-breaker"));
  });

  test("with --template it asks only the directory", async () => {
    const { ctx, asked } = ttyContext(root.path, { template: "unused", dir: "board" });
    const result = await runInit({ ...noFlags, template: "leaderboard" }, ctx);
    expect(asked.selects).toEqual([]);
    expect(asked.texts).toEqual([{ message: "Project directory", initial: "leaderboard" }]);
    expect(result).toMatchObject({ template: "leaderboard", dir: join(root.path, "board") });
  });

  test("npm pack, git init and npm install go through the injected shell, in the new project", async () => {
    const { ctx, asked } = ttyContext(root.path, { template: "rate-limiter", dir: "limits" });
    await runInit({ ...noFlags, git: true, install: true }, ctx);
    expect(asked.commands.map((c) => c.slice(0, 2))).toEqual([
      ["npm", "pack"],
      ["git", "init"],
      ["npm", "install"],
    ]);
  });
});

describe("durable init without a TTY", () => {
  test("and without --template it fails with one line listing the six templates, creating nothing", async () => {
    await using cwd = await tempDir("durable-init-notty-");
    const result = await run([DURABLE_BIN, "init"], cwd.path);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toStartWith("error: no template chosen");
    for (const name of TEMPLATE_NAMES) expect(lines[0]).toContain(name);
    expect(result.stdout).toBe("");
    expect(readdirSync(cwd.path)).toEqual([]);
  }, 30_000);
});
