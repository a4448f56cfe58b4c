import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { durable } from "../support/cli-process.ts";
import { tempDir } from "../support/temp-dir.ts";

test("durable state unpark lets a parked actor's queued messages run again, and refuses an actor that is not parked", async () => {
  await using dir = tempDir("unpark-");
  expect(
    (
      await durable(["init", "counter", "--template", "counter", "--no-git", "--no-install"], {
        cwd: dir.path,
      })
    ).code,
  ).toBe(0);
  const project = join(dir.path, "counter");
  // A queue consumer (what durable dev runs): a poison increment (by 1.5 throws) exhausts its
  // receives and parks counter-1; the good increment queued behind it waits.
  writeFileSync(
    join(project, "consume.ts"),
    `import { Fabric } from "./durable/index.ts";
import { openLocalPorts } from "./durable/adapters/local/index.ts";
import { drainQueue } from "./durable/core/queue-worker.ts";
import { counter } from "./actors/counter.ts";
const ports = openLocalPorts({ path: ".durable/local.db" });
const fabric = new Fabric({ ports, actors: [counter] });
if (process.argv[2] === "send") {
  await fabric.invoke({ actorId: "counter-1", handler: "increment", input: { by: 1.5 }, mode: "async" });
  await fabric.invoke({ actorId: "counter-1", handler: "increment", input: { by: 2 }, mode: "async" });
}
await drainQueue(fabric, ports.queue);
ports.close();
`,
  );
  expect(Bun.spawnSync({ cmd: [process.execPath, "consume.ts", "send"], cwd: project }).exitCode).toBe(0);
  const parked = JSON.parse(
    (await durable(["state", "get", "counter-1", "--json"], { cwd: project })).stdout,
  );
  expect(parked).toMatchObject({ version: 1, state: { count: 0 }, parked: { handler: "increment" } });

  const unpark = await durable(["state", "unpark", "counter-1"], { cwd: project });
  expect(unpark.code).toBe(0);
  expect(unpark.stdout).toContain("unparked counter-1");
  expect(Bun.spawnSync({ cmd: [process.execPath, "consume.ts"], cwd: project }).exitCode).toBe(0);
  const after = JSON.parse((await durable(["state", "get", "counter-1", "--json"], { cwd: project })).stdout);
  expect(after).toMatchObject({ state: { count: 2 }, parked: null });

  const again = await durable(["state", "unpark", "counter-1"], { cwd: project });
  expect(again.code).toBe(1);
  expect(again.stderr).toContain("counter-1 is not parked");
});
