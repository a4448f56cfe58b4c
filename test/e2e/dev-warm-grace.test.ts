import { expect, test } from "bun:test";
import { join } from "node:path";
import type { TurnLogEntry } from "../../runtime/core/turn.ts";
import { durable, startDev } from "../support/cli-process.ts";
import { tempDir } from "../support/temp-dir.ts";

/**
 * `durable dev` keeps an actor's lease for a short grace after each commit (the warm path), so its
 * next turn on that actor commits in one write. A `durable invoke` from another process in the
 * middle of that grace must take the actor over (not wait, not be overwritten), and dev's next turn
 * must see the invoke's write: every increment applied once, versions one after another.
 */
test("durable dev's warm actor is taken over by a CLI invoke inside the grace, and dev then builds on the invoke's write", async () => {
  await using dir = tempDir("dev-warm-");
  const init = await durable(["init", "counter", "--template", "counter", "--no-git", "--no-install"], {
    cwd: dir.path,
  });
  expect(init.code).toBe(0);
  const project = join(dir.path, "counter");
  // A grace of a minute: every CLI invoke below lands inside one (a CLI that waited it out would
  // time the test out).
  await using dev = await startDev(project, { DURABLE_WARM_GRACE_MS: "60000" });
  const overHttp = async () => {
    const response = await fetch(`${dev.url}/actors/counter-1/increment`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
      body: "{}",
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { result: { count: number } }).result.count;
  };
  const overCli = async () => {
    const run = await durable(["invoke", "counter-1", "--json"], { cwd: project });
    expect(run.code).toBe(0);
    return (JSON.parse(run.stdout) as { result: { count: number } }).result.count;
  };

  const counts: number[] = [];
  for (let round = 0; round < 3; round++) {
    counts.push(await overHttp(), await overHttp()); // the second runs warm
    counts.push(await overCli()); // right behind dev's commit: inside its grace
  }
  expect(counts).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);

  const devTurns = dev.lines
    .filter((l) => l.startsWith('{"type":"turn"'))
    .map((l) => JSON.parse(l) as TurnLogEntry)
    .filter((e) => e.actorId === "counter-1");
  // Dev's own turns, in order: after each CLI invoke its version jumps by the one the CLI wrote.
  expect(devTurns.map((e) => e.version)).toEqual([1, 2, 4, 5, 7, 8]);
  const state = await durable(["state", "get", "counter-1", "--json"], { cwd: project });
  expect(JSON.parse(state.stdout)).toMatchObject({ version: 9, state: { count: 9 } });
});

test("durable dev refuses a DURABLE_WARM_GRACE_MS that is not a whole number of ms, before it listens", async () => {
  await using dir = tempDir("dev-warm-bad-");
  await durable(["init", "counter", "--template", "counter", "--no-git", "--no-install"], { cwd: dir.path });
  const run = await durable(["dev", "--port", "0"], {
    cwd: join(dir.path, "counter"),
    env: { DURABLE_WARM_GRACE_MS: "50ms", NO_COLOR: "1" },
  });
  expect(run.code).not.toBe(0);
  expect(run.stderr).toContain('DURABLE_WARM_GRACE_MS must be a whole number of milliseconds, got "50ms"');
  expect(run.stdout).not.toContain("listening");
});
