import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CliContext } from "../../cli/context.ts";
import { runCli } from "../../cli/main.ts";
import { REPO_ROOT } from "../support/cli-process.ts";

async function help(args: string[]): Promise<string> {
  let out = "";
  const ctx: CliContext = {
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdout: {
      write: (t) => {
        out += t;
      },
    },
    stderr: {
      write: (t) => {
        out += t;
      },
    },
    isTTY: false,
    prompts: {
      interactive: false,
      select: () => Promise.reject(new Error("no prompts")),
      text: () => Promise.reject(new Error("no prompts")),
      confirm: () => Promise.reject(new Error("no prompts")),
    },
    shell: { run: () => Promise.reject(new Error("no shell")) },
    signal: new AbortController().signal,
  };
  expect(await runCli([...args, "--help"], ctx)).toBe(0);
  return out;
}

/** The README's CLI reference: for each `durable <command ...>` row, the flags it lists. */
function readmeRows(): { command: string[]; flags: string[] }[] {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const section = readme.split(/^## /m).find((s) => s.startsWith("CLI reference")) ?? "";
  return section
    .split("\n")
    .filter((line) => line.startsWith("| `durable "))
    .map((line) => {
      const cells = line.split("|").map((c) => c.trim());
      const command = (cells[1] ?? "")
        .replace(/`/g, "")
        .split(/\s+/)
        .slice(1)
        .filter((w) => /^[a-z]+$/.test(w));
      const flags = [...(cells[3] ?? "").matchAll(/`(--[a-z-]+)/g)].map((m) => m[1] ?? "");
      return { command, flags };
    });
}

const helpFlags = (text: string) =>
  [...text.matchAll(/^\s+(?:-[a-zA-Z], )?(--[a-z-]+)/gm)]
    .map((m) => m[1] ?? "")
    .filter((f) => f !== "--help");

test("durable --help lists init, dev, invoke, state, build, deploy, destroy and logs", async () => {
  const text = await help([]);
  for (const command of ["init", "dev", "invoke", "state", "build", "deploy", "destroy", "logs"]) {
    expect(text).toMatch(new RegExp(`^\\s+${command}\\b`, "m"));
  }
});

test("the README's CLI reference names every command of durable --help, and no other", async () => {
  const listed = new Set(readmeRows().map((r) => r.command[0]));
  const section = (await help([])).split("Commands:")[1] ?? "";
  const commands = new Set(
    [...section.matchAll(/^ {2}([a-z]+)/gm)].map((m) => m[1]).filter((c) => c !== "help"),
  );
  expect([...listed].sort()).toEqual([...commands].sort());
});

test("each README row lists exactly the flags that command's --help shows", async () => {
  const rows = readmeRows();
  expect(rows.length).toBeGreaterThanOrEqual(11);
  for (const row of rows) {
    const flags = helpFlags(await help(row.command));
    expect({ command: row.command.join(" "), flags: [...row.flags].sort() }).toEqual({
      command: row.command.join(" "),
      flags: [...flags].sort(),
    });
  }
});
