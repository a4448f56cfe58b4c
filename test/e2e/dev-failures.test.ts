import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DURABLE_BIN, durable, startDev, userEnv } from "../support/cli-process.ts";
import { tempDir } from "../support/temp-dir.ts";
import { waitUntil } from "../support/wait-until.ts";

interface Entry {
  type: string;
  actorId: string;
  handler?: string;
  messageId?: string;
  delivery?: number;
  maxDeliveries?: number;
  error?: { code: string; message: string };
}

/**
 * A queued message that keeps failing is visible under `durable dev`: each failed delivery is a
 * line, the parking is a line with the error and the command that lets the actor go on, and the
 * turn log (what `durable logs` reads) records the same, error text included.
 */
test("durable dev shows a poison message's failed deliveries, then the parked actor with its error and the unpark command", async () => {
  await using dir = tempDir("dev-failures-");
  const init = await durable(["init", "counter", "--template", "counter", "--no-git", "--no-install"], {
    cwd: dir.path,
  });
  expect(init.code).toBe(0);
  const project = join(dir.path, "counter");
  await using dev = await startDev(project);
  // The human view of the same log, from another process.
  const logs = Bun.spawn({
    cmd: [DURABLE_BIN, "logs", "--actor", "counter-9"],
    cwd: project,
    env: userEnv({ NO_COLOR: "1" }),
    stdout: "pipe",
    stderr: "ignore",
  });
  await Bun.sleep(700); // let `durable logs` take its starting offset

  const queued = await durable(
    ["invoke", "counter-9", "increment", "--data", '{"by":1.5}', "--async", "--json"],
    {
      cwd: project,
    },
  );
  const { messageId } = JSON.parse(queued.stdout) as { messageId: string };
  const entries = () =>
    dev.lines
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Entry)
      .filter((e) => e.actorId === "counter-9");
  await waitUntil(async () => entries().some((e) => e.type === "parked"), {
    what: "the parked line",
    timeoutMs: 10_000,
  });

  const failures = entries().filter((e) => e.type !== "turn");
  expect(failures.map((e) => [e.type, e.delivery])).toEqual([
    ["failed", 1],
    ["failed", 2],
    ["failed", 3],
    ["failed", 4],
    ["parked", 5],
  ]);
  expect(failures.every((e) => e.messageId === messageId && e.handler === "increment")).toBe(true);
  expect(failures.at(-1)?.error).toEqual({
    code: "HANDLER_FAILED",
    message: "by must be an integer, got 1.5",
  });

  const log = readFileSync(join(project, ".durable", "turns.log"), "utf8");
  expect(log).toContain('"type":"parked"');
  expect(log).toContain("by must be an integer, got 1.5");

  let human = "";
  const reader = logs.stdout.getReader();
  while (!human.includes("parked")) human += new TextDecoder().decode((await reader.read()).value);
  logs.kill("SIGINT");
  expect(human).toContain("counter-9 increment failed (delivery 1 of 5, will retry)");
  expect(human).toContain(
    `counter-9 parked: message ${messageId} (increment) failed its last delivery: HANDLER_FAILED by must be an integer, got 1.5`,
  );
  expect(human).toContain("then run durable state unpark counter-9");
});

test("a sync call that fails through the dev HTTP API is printed with its code and message", async () => {
  await using dir = tempDir("dev-failures-sync-");
  expect(
    (
      await durable(["init", "counter", "--template", "counter", "--no-git", "--no-install"], {
        cwd: dir.path,
      })
    ).code,
  ).toBe(0);
  await using dev = await startDev(join(dir.path, "counter"));
  const response = await fetch(`${dev.url}/actors/counter-3/increment`, {
    method: "POST",
    headers: { "Idempotency-Key": "sync-fail-1" },
    body: '{"by":"two"}',
  });
  expect(response.status).toBe(500);
  await waitUntil(async () => dev.lines.some((l) => l.includes('"type":"failed"')), {
    what: "the failed line",
    timeoutMs: 5_000,
  });
  const line = JSON.parse(dev.lines.find((l) => l.includes('"type":"failed"')) ?? "{}") as Entry;
  expect(line).toMatchObject({
    actorId: "counter-3",
    handler: "increment",
    messageId: "sync-fail-1",
    mode: "sync",
    error: { code: "HANDLER_FAILED", message: 'by must be an integer, got "two"' },
  });
});
