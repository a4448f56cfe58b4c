import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DURABLE_BIN, durable, startDev } from "../support/cli-process.ts";
import { type TempDir, tempDir } from "../support/temp-dir.ts";

// One project for the whole file: `durable init` exactly as a user types it, in an empty dir, no TTY.
let dir: TempDir;
let project: string;

beforeAll(async () => {
  dir = tempDir("e2e-counter-");
  const init = await durable(["init", "--template", "counter"], { cwd: dir.path });
  expect(init.code).toBe(0);
  project = join(dir.path, "counter");
});
afterAll(async () => {
  await dir[Symbol.asyncDispose]();
});

const stateOf = async (actorId: string) => {
  const r = await durable(["state", "get", actorId, "--json"], { cwd: project });
  return r.code === 0 ? (JSON.parse(r.stdout) as { version: number; state: { count: number } }) : null;
};

describe("durable CLI on the counter template, no dev server running", () => {
  test("init without a dir creates ./counter with the runtime copy and a renamed .gitignore", () => {
    for (const file of [
      "durable.config.ts",
      "actors/counter.ts",
      "durable/index.ts",
      ".gitignore",
      "node_modules/durable-lambda",
    ]) {
      expect(existsSync(join(project, file))).toBe(true);
    }
    expect(existsSync(join(project, "_gitignore"))).toBe(false);
  });

  test("two sync invokes then state get shows count 2 at version 2", async () => {
    const first = await durable(["invoke", "counter-1", "--sync"], { cwd: project });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain("local fabric");
    expect(JSON.parse(first.stdout)).toEqual({ count: 1 });
    expect((await durable(["invoke", "counter-1", "--sync", "--json"], { cwd: project })).code).toBe(0);
    expect(await stateOf("counter-1")).toMatchObject({ version: 2, state: { count: 2 } });
  });

  test.each([
    [["invoke", "bad id!", "--sync"], "invalid actor id"],
    [["invoke", "counter-1", "nope"], 'no handler "nope"'],
    [["invoke", "counter-1", "--data", "{bad"], "not valid JSON"],
    [["invoke", "counter-1", "--data", '{"__proto__":{"x":1}}'], '"__proto__"'],
    [["invoke", "counter-1", "--sync", "--async"], "cannot be combined"],
  ])("bad input %p exits 1 with one clear line and leaves the state unchanged", async (args, message) => {
    const before = await stateOf("counter-1");
    const r = await durable(args, { cwd: project });
    expect(r.code).toBe(1);
    const errorLines = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toContain(message);
    expect(r.stderr).not.toContain("    at ");
    expect(await stateOf("counter-1")).toEqual(before);
  });

  test("invoke 'bad id!' says what is wrong and what is allowed", async () => {
    const r = await durable(["invoke", "bad id!", "--sync"], { cwd: project });
    expect(r.stderr.trim()).toBe(
      'error: invalid actor id "bad id!": ids are 1-128 characters of letters, digits and . _ : - (use an id such as counter-1)',
    );
  });

  test("concurrent durable invoke processes on one actor lose no increment", async () => {
    const worker = async () => {
      for (let i = 0; i < 5; i++)
        expect((await durable(["invoke", "counter-cli", "--sync"], { cwd: project })).code).toBe(0);
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect(await stateOf("counter-cli")).toMatchObject({ version: 20, state: { count: 20 } });
  });

  test("4 processes x 250 increments on one actor: count 1000, versions 1..1000 without gaps", async () => {
    writeFileSync(
      join(project, "race.ts"),
      `import { Fabric } from "./durable/index.ts";
import { openLocalPorts } from "./durable/adapters/local/index.ts";
import { counter } from "./actors/counter.ts";
const ports = openLocalPorts({ path: ".durable/local.db" });
const fabric = new Fabric({ ports, actors: [counter], owner: "racer-" + process.argv[2] });
for (let i = 0; i < 250; i++) await fabric.invoke({ actorId: "counter-race", handler: "increment" });
ports.close();
`,
    );
    const racers = [0, 1, 2, 3].map((n) =>
      Bun.spawn({
        cmd: [process.execPath, "race.ts", String(n)],
        cwd: project,
        stdout: "inherit",
        stderr: "inherit",
      }),
    );
    expect(await Promise.all(racers.map((r) => r.exited))).toEqual([0, 0, 0, 0]);
    expect(await stateOf("counter-race")).toMatchObject({ version: 1000, state: { count: 1000 } });
    const check = Bun.spawnSync({
      cmd: [
        process.execPath,
        "-e",
        `import { openLocalPorts } from "./durable/adapters/local/index.ts";
const p = openLocalPorts({ path: ".durable/local.db" });
const h = await p.store.history({ actorId: "counter-race", limit: 5000 });
console.log(JSON.stringify(h.map((e) => [e.version, e.state.count])));`,
      ],
      cwd: project,
    });
    const history = JSON.parse(check.stdout.toString()) as [number, number][];
    expect(history).toEqual(Array.from({ length: 1000 }, (_, i) => [i + 1, i + 1]));
  });
});

describe("durable dev", () => {
  test("applies async invokes, streams versions to state tail, and serves the HTTP API on loopback only", async () => {
    await using dev = await startDev(project);
    const tail = Bun.spawn({
      cmd: [DURABLE_BIN, "state", "tail", "counter-1", "--count", "1", "--json"],
      cwd: project,
      stdout: "pipe",
      stderr: "pipe",
    });
    await Bun.sleep(800); // let tail take its starting point before the new version commits
    const before = (await stateOf("counter-1"))?.version ?? 0;
    const queued = await durable(["invoke", "counter-1", "--async", "--json"], { cwd: project });
    expect(queued.code).toBe(0);
    expect(JSON.parse(queued.stdout)).toMatchObject({ mode: "async", queued: true });
    const tailed = JSON.parse((await new Response(tail.stdout).text()).trim()) as { version: number };
    expect(tailed.version).toBe(before + 1);
    expect(await stateOf("counter-1")).toMatchObject({ version: before + 1 });

    const sync = await fetch(`${dev.url}/actors/counter-1/increment`, { method: "POST", body: '{"by":5}' });
    expect(sync.status).toBe(200);
    expect(await sync.json()).toMatchObject({ result: { count: expect.any(Number) }, version: before + 2 });
    const accepted = await fetch(`${dev.url}/actors/counter-1/increment?mode=async`, {
      method: "POST",
      body: "{}",
    });
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toMatchObject({ messageId: expect.any(String) });
    const state = await fetch(`${dev.url}/actors/counter-1/state`);
    expect(await state.json()).toMatchObject({ actorId: "counter-1", actorType: "counter" });
    const bad = await fetch(`${dev.url}/actors/counter-1/increment`, {
      method: "POST",
      body: '{"__proto__":{"p":1}}',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "UNSAFE_JSON_KEY" } });

    const rebinding = await fetch(`${dev.url}/actors/counter-1/state`, {
      headers: { host: "evil.example:80" },
    });
    expect(rebinding.status).toBe(403);
    const crossSite = await fetch(`${dev.url}/actors/counter-1/increment`, {
      method: "POST",
      headers: { origin: "https://evil.example" },
      body: "{}",
    });
    expect(crossSite.status).toBe(403);
  });
});
