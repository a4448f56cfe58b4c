import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { childPid, rssMb } from "../../bench/dev-process.ts";
import { durable, REPO_ROOT } from "../support/cli-process.ts";
import { exitsWithin } from "../support/process-tree.ts";
import { tempDir } from "../support/temp-dir.ts";

// `durable dev` is measured through its Bun child, not the Node launcher: the lookup must find
// the launcher's child by name, and the memory read must come from that process.
test("childPid finds a process's child by command name; rssMb reads its VmRSS", async () => {
  const child = Bun.spawn({ cmd: ["sleep", "5"], stdout: "ignore", stderr: "ignore" });
  try {
    expect(childPid(process.pid, "sleep")).toBe(child.pid);
    expect(() => childPid(process.pid, "no-such-command")).toThrow(/no child named/);
    const own = rssMb(process.pid);
    expect(own).toBeGreaterThan(1);
    expect(rssMb(child.pid)).toBeLessThan(own);
  } finally {
    child.kill();
    await child.exited;
  }
});

// A benchmark that crashes (an exception past every finally, a process.exit) must not leave the
// `durable dev` it started running: the launcher and its Bun child watch the benchmark's pid.
test("a process that crashes after startDevProcess leaves neither the launcher nor durable dev running", async () => {
  await using dir = tempDir("bench-crash-");
  const init = await durable(["init", "counter", "--template", "counter", "--no-git", "--no-install"], {
    cwd: dir.path,
  });
  expect(init.code).toBe(0);
  const script = join(dir.path, "crash.ts");
  writeFileSync(
    script,
    `import { startDevProcess } from ${JSON.stringify(join(REPO_ROOT, "bench", "dev-process.ts"))};
const dev = await startDevProcess(${JSON.stringify(join(dir.path, "counter"))});
console.log(JSON.stringify({ launcher: dev.launcherPid, bun: dev.bunPid }));
process.exit(1); // skips dev.stop(), like a crash
`,
  );
  const crash = Bun.spawn({ cmd: [process.execPath, script], stdout: "pipe", stderr: "pipe" });
  const [out, code] = await Promise.all([new Response(crash.stdout).text(), crash.exited]);
  expect(code).toBe(1);
  const pids = JSON.parse(out.trim().split("\n").pop() ?? "{}") as { launcher: number; bun: number };
  expect(await exitsWithin(pids.launcher, 2_000)).toBe(true);
  expect(await exitsWithin(pids.bun, 2_000)).toBe(true);
});
