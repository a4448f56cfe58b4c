import { expect, test } from "bun:test";
import { processTree, rssMb, spawnGroup, treeRss } from "../../bench/processes.ts";

// A peer's memory is every process it needs: a group's whole tree is counted, and stopping the
// group leaves none of it behind (a host's children included, as workerd is Miniflare's).
test("a group's tree is counted and stopped whole, children included", async () => {
  const script = 'sleep 30 & echo \'{"type":"ready"}\'; wait';
  const group = spawnGroup("sh", ["-c", script]);
  try {
    await group.ready(5_000);
    const tree = processTree(group.pid);
    expect(tree[0]).toBe(group.pid);
    expect(tree.length).toBeGreaterThanOrEqual(2);
    const rss = treeRss([group.pid]);
    expect(rss.byProcess.sleep).toBeGreaterThan(0);
    expect(rss.totalMb).toBeCloseTo(
      tree.reduce((sum, pid) => sum + rssMb(pid), 0),
      0,
    );
    await group.stop(1_000);
    // SIGKILL to the group is delivered asynchronously: give the kernel a moment to end them all.
    for (let i = 0; i < 50 && tree.some((pid) => rssMb(pid) > 0); i++) await Bun.sleep(20);
    for (const pid of tree) expect(rssMb(pid)).toBe(0);
  } finally {
    await group.stop(100);
  }
});

test("a process that exits before it is ready fails the wait with what it wrote", async () => {
  const group = spawnGroup("sh", ["-c", "echo boom >&2; exit 3"]);
  await expect(group.ready(5_000)).rejects.toThrow(/exited before it was ready: boom/);
});
