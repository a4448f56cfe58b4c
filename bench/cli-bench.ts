/**
 * What one CLI command costs as a whole process, the way a user runs it: `durable invoke
 * counter-1 --sync` through the package's `durable` bin in a freshly generated counter project
 * (on the local fabric), against the floor of starting Bun at all (`bun -e 0`). Each is the median
 * of several runs, after one untimed run (so the file system cache is warm for both).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { durableBin } from "./dev-process.ts";
import { generateCounter } from "./local-bench.ts";
import { summarize } from "./workloads.ts";

export interface CliBenchOptions {
  runs: number;
  onProgress?: (line: string) => void;
}

export const DEFAULT_CLI_OPTIONS: CliBenchOptions = { runs: 7 };

export interface CliBenchResults {
  runs: number;
  /** Median wall time of `durable invoke counter-1 --sync`, start to exit. */
  invokeWallMs: number;
  invokeSamplesMs: number[];
  /** Median wall time of `bun -e 0` with the Bun durable brings. */
  bunFloorMs: number;
  bunFloorSamplesMs: number[];
  command: string;
}

export async function runCliBench(options: CliBenchOptions = DEFAULT_CLI_OPTIONS): Promise<CliBenchResults> {
  const dir = await mkdtemp(join(tmpdir(), "durable-bench-cli-"));
  try {
    const project = join(dir, "counter");
    await generateCounter(project);
    const invoke = [durableBin(), "invoke", "counter-1", "--sync"];
    const floor = [process.execPath, "-e", "0"];
    const invokeSamplesMs: number[] = [];
    const bunFloorSamplesMs: number[] = [];
    await wallMs(invoke, project);
    await wallMs(floor, project);
    // Interleaved, so a slow spell on the shared machine lands on both.
    for (let i = 0; i < options.runs; i++) {
      options.onProgress?.(`cli: run ${i + 1} of ${options.runs}`);
      invokeSamplesMs.push(await wallMs(invoke, project));
      bunFloorSamplesMs.push(await wallMs(floor, project));
    }
    return {
      runs: options.runs,
      invokeWallMs: summarize(invokeSamplesMs).p50Ms,
      invokeSamplesMs,
      bunFloorMs: summarize(bunFloorSamplesMs).p50Ms,
      bunFloorSamplesMs,
      command: "durable invoke counter-1 --sync",
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function wallMs(cmd: string[], cwd: string): Promise<number> {
  const started = performance.now();
  const child = Bun.spawn({
    cmd,
    cwd,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const [code, stderr] = await Promise.all([
    child.exited,
    new Response(child.stderr).text(),
    new Response(child.stdout).text(),
  ]);
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}: ${stderr.slice(-1500)}`);
  return ms;
}
