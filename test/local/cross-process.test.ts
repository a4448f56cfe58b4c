import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLocalPorts } from "../../runtime/adapters/local/index.ts";

const dir = mkdtempSync(join(tmpdir(), "durable-xproc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PROCESSES = 4;
const CYCLES = 250;

interface WorkerReport {
  owner: string;
  committed: number[];
  retries: number;
}

test("4 processes committing 250 turns each on one actor through one file lose no update and leave a gapless history", async () => {
  const dbPath = join(dir, ".durable", "local.db");
  const actorId = "counter-shared";
  // Opening first also proves the factory creates the missing .durable directory.
  openLocalPorts({ path: dbPath }).close();
  const worker = join(import.meta.dir, "cross-process-worker.ts");
  const startAt = String(Date.now() + 1000);
  const children = Array.from({ length: PROCESSES }, (_, i) =>
    Bun.spawn([process.execPath, worker, dbPath, actorId, `worker-${i}`, String(CYCLES), startAt], {
      stdout: "pipe",
      stderr: "pipe",
    }),
  );
  const reports = await Promise.all(
    children.map(async (child) => {
      const [stdout, stderr, code] = await Promise.all([
        new Response(child.stdout).text(),
        new Response(child.stderr).text(),
        child.exited,
      ]);
      if (code !== 0) throw new Error(`worker exited with ${code}: ${stderr}`);
      return JSON.parse(stdout) as WorkerReport;
    }),
  );

  const ports = openLocalPorts({ path: dbPath });
  try {
    const record = await ports.store.read(actorId);
    expect(record?.version).toBe(PROCESSES * CYCLES);
    const everyVersion = Array.from({ length: PROCESSES * CYCLES }, (_, i) => i + 1);
    // Each version was committed by exactly one process: no two turns ever both won.
    const committed = reports.flatMap((report) => report.committed).sort((a, b) => a - b);
    expect(committed).toEqual(everyVersion);
    for (const report of reports) expect(report.committed).toHaveLength(CYCLES);
    // The processes really overlapped: some turns lost a race and were retried.
    expect(reports.reduce((sum, report) => sum + report.retries, 0)).toBeGreaterThan(0);
    const history = await ports.store.history({ actorId, limit: 10_000 });
    expect(history.map((entry) => entry.version)).toEqual(everyVersion);
    const seqs = history.map((entry) => entry.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(history.at(-1)?.state).toEqual(record?.state ?? null);
  } finally {
    ports.close();
  }
}, 120_000);
