import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TurnLogEntry } from "../../runtime/core/turn.ts";
import { DURABLE_BIN, durable, startDev, userEnv } from "../support/cli-process.ts";
import { tempDir } from "../support/temp-dir.ts";
import { waitUntil } from "../support/wait-until.ts";

/**
 * A queued message that keeps failing is visible under `durable dev`: each failed turn shows the
 * error, the turn that parks the actor says so with the command that lets it go on, and the turn
 * log (what `durable logs` reads) records the same, error text included.
 */
test("durable dev shows a poison message's failures with their error, then the park and the unpark command", async () => {
  await using dir = tempDir("dev-failures-");
  const init = await durable(["init", "counter", "--template", "counter", "--no-git", "--no-install"], {
    cwd: dir.path,
  });
  expect(init.code).toBe(0);
  const project = join(dir.path, "counter");
  await using dev = await startDev(project);
  // The human view of the same turns, from another process.
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
    { cwd: project },
  );
  const { messageId } = JSON.parse(queued.stdout) as { messageId: string };
  const turns = () =>
    dev.lines
      .filter((l) => l.startsWith('{"type":"turn"'))
      .map((l) => JSON.parse(l) as TurnLogEntry)
      .filter((e) => e.actorId === "counter-9");
  await waitUntil(async () => turns().some((e) => e.parked !== undefined), {
    what: "the turn that parks counter-9",
    timeoutMs: 10_000,
  });
  const error = { code: "HANDLER_FAILED", message: "by must be an integer, got 1.5" };
  const failing = turns().filter((e) => e.failures?.length);
  expect(failing.length).toBeGreaterThanOrEqual(5);
  for (const turn of failing) expect(turn.failures).toEqual([{ messageId, handler: "increment", ...error }]);
  expect(turns().find((e) => e.parked)?.parked).toEqual({ messageId, handler: "increment", ...error });

  const log = readFileSync(join(project, ".durable", "turns.log"), "utf8");
  expect(log).toContain('"parked":{');
  expect(log).toContain("by must be an integer, got 1.5");

  let human = "";
  const reader = logs.stdout.getReader();
  while (!human.includes("durable state unpark"))
    human += new TextDecoder().decode((await reader.read()).value);
  logs.kill("SIGINT");
  expect(human).toContain("counter-9 increment failed v0");
  expect(human).toContain(
    `✖ increment (message ${messageId}) failed: HANDLER_FAILED by must be an integer, got 1.5`,
  );
  expect(human).toContain(
    `parked counter-9 on message ${messageId} (increment) after its last permitted delivery: HANDLER_FAILED by must be an integer, got 1.5`,
  );
  expect(human).toContain("then run durable state unpark counter-9");
});
