import { expect, test } from "bun:test";
import { childPid, rssMb } from "../../bench/dev-process.ts";

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
