/**
 * `durable migrate` on the local fabric: the terminal's progress line, --dry-run, a migration that
 * fails (the run stops, the actor parks; fixed, unparked and resumed, it completes), and a run
 * interrupted by SIGINT that resumes without migrating anything twice.
 */
import { describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CliContext } from "../../cli/context.ts";
import { runCli } from "../../cli/main.ts";
import { scaffoldProject } from "../../cli/scaffold.ts";
import { openLocalPorts } from "../../runtime/adapters/local/index.ts";
import { Fabric } from "../../runtime/core/fabric.ts";
import { DURABLE_BIN, durable, userEnv } from "../support/cli-process.ts";
import { tempDir } from "../support/temp-dir.ts";

const ACTORS = 20;

const V1 = `import { actor } from "../durable/index.ts";
export const counter = actor("counter", {
  state: () => ({ count: 0 }),
  handlers: {
    set(ctx, input: { count: number }) {
      ctx.state.count = input.count;
    },
  },
});
`;

/** Schema 2; with `brokenAt`, its migration throws on that count (a bug a later deploy fixes). */
const v2 = (brokenAt?: number) => `import { actor } from "../durable/index.ts";
export const counter = actor("counter", {
  state: () => ({ count: 0, label: "" }),
  schema: 2,
  migrate: {
    2: (old: { count: number }) => {
      ${brokenAt === undefined ? "" : `if (old.count === ${brokenAt}) throw new Error("cannot label ${brokenAt}");`}
      return { count: old.count, label: \`#\${old.count}\` };
    },
  },
  handlers: { get: (ctx) => ctx.state },
});
`;

/** A counter project whose local fabric holds ACTORS schema-1 actors, with `actors/counter.ts` at schema 2. */
async function project(dir: string, brokenAt?: number): Promise<string> {
  const root = join(dir, "counter");
  scaffoldProject("counter", root, "counter");
  // Schema-1 code writes the records (from outside actors/, which holds the schema-2 code).
  mkdirSync(join(root, "seed"));
  writeFileSync(join(root, "seed", "counter-v1.ts"), V1);
  writeFileSync(join(root, "actors", "counter.ts"), v2(brokenAt));
  const { counter } = await import(join(root, "seed", "counter-v1.ts"));
  const ports = openLocalPorts({ path: join(root, ".durable", "local.db"), largeState: true });
  const fabric = new Fabric({ ports, actors: [counter], owner: "seed" });
  for (let i = 0; i < ACTORS; i++) {
    await fabric.invoke({
      actorId: `counter-${String(i).padStart(2, "0")}`,
      handler: "set",
      input: { count: i + 1 },
    });
  }
  ports.close();
  return root;
}

/** The CLI in this process with a terminal (stderr and stdout kept apart). */
async function onTerminal(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const ctx: CliContext = {
    cwd,
    env: { NO_COLOR: "1" },
    stdout: {
      write: (t) => {
        stdout += t;
      },
    },
    stderr: {
      write: (t) => {
        stderr += t;
      },
    },
    isTTY: true,
    prompts: {
      interactive: false,
      select: () => Promise.reject(new Error("no prompts")),
      text: () => Promise.reject(new Error("no prompts")),
      confirm: () => Promise.reject(new Error("no prompts")),
    },
    shell: { run: () => Promise.reject(new Error("no shell")) },
    signal: new AbortController().signal,
  };
  const code = await runCli(args, ctx);
  return { code, stdout, stderr };
}

/** Every actor's version and schema, read from the project's file. */
async function versions(root: string): Promise<{ version: number; schema: number }[]> {
  using ports = openLocalPorts({ path: join(root, ".durable", "local.db"), largeState: true });
  const actors = await ports.store.listActors();
  const records = await Promise.all(actors.map((a) => ports.store.read(a.actorId)));
  return records.map((r) => ({ version: r?.version ?? 0, schema: r?.schema ?? 0 }));
}

describe("durable migrate (local fabric)", () => {
  test("on a terminal: --dry-run tells what would change and changes nothing; a run redraws one progress line and ends with a summary", async () => {
    await using dir = tempDir("durable-migrate-local-");
    const root = await project(dir.path);
    const dry = await onTerminal(["migrate", "--dry-run"], root);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`would migrate ${ACTORS} actor(s) (counter 1 → 2: ${ACTORS}); 0 current`);
    expect(dry.stdout).toContain("nothing was changed");
    const run = await onTerminal(["migrate"], root);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      "finding actors behind counter schema 2: 20 actor(s) in the local file (no cost)",
    );
    // Redrawn in place: each update returns to the line's start and clears it.
    expect(run.stderr).toContain("\r\u001b[2K› migrating 20/20 (100%) · ");
    expect(run.stderr).toMatch(/migrating 20\/20 \(100%\) · [\d.]+\/s · ETA 0 s/);
    expect(run.stdout).toContain(`✔ migrated ${ACTORS} of ${ACTORS} actor(s) behind their code`);
    expect(existsSync(join(root, ".durable", "migrate"))).toBe(true);
    expect(existsSync(join(root, ".durable", "migrate", "local"))).toBe(false);
    const after = await onTerminal(["migrate", "--dry-run"], root);
    expect(after.stdout).toContain(`would migrate 0 actor(s); ${ACTORS} current`);
    const bad = await onTerminal(["migrate", "--rate", "0"], root);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("error: --rate 0 is not a positive number");
  });

  test("a failing migration stops the run and parks its actor; fixed, unparked and run again, the migration completes", async () => {
    await using dir = tempDir("durable-migrate-local-");
    const root = await project(dir.path, 14);
    const failed = await durable(["migrate"], { cwd: root });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(
      "a migration failed on counter-13 (parked): migrate[2] of counter failed",
    );
    expect(failed.stderr).toContain("durable state unpark counter-13");
    const parked = JSON.parse(
      (await durable(["state", "get", "counter-13", "--json"], { cwd: root })).stdout,
    );
    expect(parked).toMatchObject({
      schema: 1,
      parked: { handler: "$migrate", error: { code: "MIGRATION_FAILED" } },
    });

    writeFileSync(join(root, "actors", "counter.ts"), v2());
    const unpark = await durable(["state", "unpark", "counter-13"], { cwd: root });
    expect(unpark.code).toBe(0);
    // Nothing was dead-lettered: no queued message parked it.
    expect(unpark.stdout).toContain(
      "unparked counter-13 (durable migrate failed: migrate[2] of counter failed",
    );
    expect(unpark.stdout).not.toContain("dead-letter");
    const resumed = await durable(["migrate"], { cwd: root });
    expect(resumed.code).toBe(0);
    const lines = resumed.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.find((l) => l.type === "resume")).toMatchObject({ done: ACTORS });
    expect(lines.find((l) => l.type === "done")).toMatchObject({
      migrated: ACTORS,
      failed: 0,
      resumed: true,
    });
    expect((await versions(root)).filter((v) => v.schema === 2)).toHaveLength(ACTORS);
  });

  test("interrupted with SIGINT, it stops after the batch in hand; run again, it resumes and migrates each actor exactly once", async () => {
    await using dir = tempDir("durable-migrate-local-");
    const root = await project(dir.path);
    const first = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(DURABLE_BIN, ["migrate", "--rate", "2"], { cwd: root, env: userEnv() });
      let stdout = "";
      let stderr = "";
      let sent = false;
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8");
        if (!sent && /"phase":"migrate","done":[1-9]/.test(stdout)) {
          sent = true;
          child.kill("SIGINT");
        }
      });
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8");
      });
      child.once("close", (code) => resolve({ code, stdout, stderr }));
    });
    expect(first.code).toBe(1);
    expect(first.stderr).toContain("error: migration interrupted after");
    const second = await durable(["migrate"], { cwd: root });
    const done = second.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .find((l) => l.type === "done");
    expect(done).toMatchObject({ resumed: true, migrated: ACTORS, current: 0 });
    // One commit each: a second migration of an actor would have moved it past version 2.
    expect((await versions(root)).map((v) => `${v.version}/${v.schema}`)).toEqual(
      Array.from({ length: ACTORS }, () => "2/2"),
    );
  });
});
