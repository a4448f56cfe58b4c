import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { durable } from "../support/cli-process.ts";
import { type TempDir, tempDir } from "../support/temp-dir.ts";

/**
 * `durable invoke` takes payloads a shell argument cannot carry (a file, standard input) under the
 * same limits as everywhere else, and always sends a message id it prints, so the same call sent
 * again is applied once.
 */
let dir: TempDir;
let project: string;

beforeAll(async () => {
  dir = tempDir("invoke-input-");
  const init = await durable(["init", "counter", "--template", "counter", "--no-git", "--no-install"], {
    cwd: dir.path,
  });
  expect(init.code).toBe(0);
  project = join(dir.path, "counter");
});
afterAll(async () => {
  await dir[Symbol.asyncDispose]();
});

const invoke = (args: string[], stdin?: string) =>
  durable(["invoke", ...args], { cwd: project, ...(stdin === undefined ? {} : { stdin }) });
const stateOf = async (actorId: string) => {
  const r = await durable(["state", "get", actorId, "--json"], { cwd: project });
  return r.code === 0 ? (JSON.parse(r.stdout) as { version: number; state: { count: number } }) : null;
};
/** An increment whose input carries `bytes` of padding the handler ignores. */
const padded = (bytes: number, by = 1) => JSON.stringify({ by, pad: "x".repeat(bytes) });

describe("--data beyond what a shell argument can carry", () => {
  test("--data @file sends a 200 KB input", async () => {
    writeFileSync(join(project, "big.json"), padded(200 * 1024, 2));
    const r = await invoke(["input-file", "increment", "--data", "@big.json", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ result: { count: 2 }, version: 1 });
  });

  test("--data - reads a 200 KB input from standard input", async () => {
    const r = await invoke(["input-stdin", "increment", "--data", "-", "--json"], padded(200 * 1024, 3));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ result: { count: 3 } });
  });

  test("a 7 MB sync input from a file is refused with PAYLOAD_TOO_LARGE and changes nothing", async () => {
    writeFileSync(join(project, "huge.json"), padded(7 * 1024 * 1024));
    const r = await invoke(["input-huge", "increment", "--data", "@huge.json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: input of a sync call is 7.00 MB, over the 6.00 MB limit");
    expect(await stateOf("input-huge")).toBeNull();
  });

  test("a 1.5 MB async input on stdin is refused with the same typed error, as JSON with --json", async () => {
    const r = await invoke(
      ["input-huge", "increment", "--async", "--data", "-", "--json"],
      padded(1536 * 1024),
    );
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      error: { code: "PAYLOAD_TOO_LARGE", message: expect.stringContaining("over the 1.00 MB limit") },
    });
  });

  test("a missing --data file is one clear line naming the file", async () => {
    const r = await invoke(["counter-1", "--data", "@nope.json"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toStartWith("error: cannot read --data @nope.json: ENOENT");
    expect(r.stderr.split("\n").filter((l) => l.startsWith("error:"))).toHaveLength(1);
  });
});

describe("every invoke sends a message id", () => {
  test("without --id it sends a fresh UUID and prints it; sent again with that id, it is not applied twice", async () => {
    const first = await invoke(["ids-1", "increment"]);
    expect(first.code).toBe(0);
    const printed = /message ([0-9a-f-]{36})/.exec(first.stderr)?.[1];
    expect(printed).toBeDefined();
    const again = await invoke(["ids-1", "increment", "--id", printed ?? "", "--json"]);
    expect(JSON.parse(again.stdout)).toMatchObject({ messageId: printed, duplicate: true, version: 1 });
    expect(await stateOf("ids-1")).toMatchObject({ version: 1, state: { count: 1 } });
  });

  test("each run without --id uses a new id (two runs apply twice); --json reports it", async () => {
    const a = JSON.parse((await invoke(["ids-2", "--json"])).stdout) as { messageId: string };
    const b = JSON.parse((await invoke(["ids-2", "--json"])).stdout) as { messageId: string };
    expect(a.messageId).not.toBe(b.messageId);
    expect(await stateOf("ids-2")).toMatchObject({ version: 2 });
  });

  test("--id over 512 characters is refused before anything runs, like the Lambda entry", async () => {
    const r = await invoke(["ids-3", "--id", "k".repeat(513)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--id must be 1-512 printable ASCII characters");
    expect(await stateOf("ids-3")).toBeNull();
  });
});
