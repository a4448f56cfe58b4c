/**
 * Whole-process wall time of `durable invoke counter-1 --sync` on the local fabric, the median of
 * several runs, side by side with a bare `bun -e 0` and with each way of starting the CLI: what a
 * user waits for a single call, start-up included.
 *
 *   bun bench/cli-startup.ts [--runs 7]
 *
 * The runs interleave (one of each command per round), so load on a shared machine touches every
 * command alike; compare the ratios, not the milliseconds.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

export interface StartupCommand {
  label: string;
  cmd: string[];
  cwd: string;
}

export interface StartupResult {
  label: string;
  medianMs: number;
  runsMs: number[];
}

const REPO_ROOT = join(import.meta.dir, "..");

/** Runs each command `runs` times (after one warm-up each), round by round, and takes medians. */
export function measureStartup(commands: readonly StartupCommand[], runs = 7): StartupResult[] {
  const times = commands.map(() => [] as number[]);
  for (let round = -1; round < runs; round++) {
    commands.forEach((command, i) => {
      const started = performance.now();
      const run = Bun.spawnSync({ cmd: command.cmd, cwd: command.cwd, stdout: "ignore", stderr: "pipe" });
      const ms = performance.now() - started;
      if (run.exitCode !== 0) throw new Error(`${command.label} exited ${run.exitCode}: ${run.stderr}`);
      if (round >= 0) times[i]?.push(ms);
    });
  }
  return commands.map((command, i) => ({
    label: command.label,
    medianMs: median(times[i] ?? []),
    runsMs: times[i] ?? [],
  }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** A script doing an invoke's work without the CLI: import the runtime and actor, open, one turn. */
const RUNTIME_ONLY = `import { Fabric } from "./durable/index.ts";
import { openLocalPorts } from "./durable/adapters/local/index.ts";
import { counter } from "./actors/counter.ts";
const ports = openLocalPorts({ path: ".durable/local.db" });
await new Fabric({ ports, actors: [counter] }).invoke({ actorId: "counter-1", messageId: crypto.randomUUID() });
ports.close();
`;

/** The commands compared, in a counter project at `project` (which gets runtime-only.ts). */
export async function invokeCommands(project: string): Promise<StartupCommand[]> {
  await Bun.write(join(project, "runtime-only.ts"), RUNTIME_ONLY);
  const invoke = ["invoke", "counter-1", "--sync"];
  return [
    { label: "bun -e 0", cmd: [process.execPath, "-e", "0"], cwd: project },
    {
      label: "the runtime alone (no CLI), one invoke",
      cmd: [process.execPath, "runtime-only.ts"],
      cwd: project,
    },
    {
      label: "bun cli/main.ts invoke",
      cmd: [process.execPath, join(REPO_ROOT, "cli", "main.ts"), ...invoke],
      cwd: project,
    },
    {
      label: "durable invoke (bin/durable, sh → exec Bun)",
      cmd: [join(REPO_ROOT, "bin", "durable"), ...invoke],
      cwd: project,
    },
    {
      label: "node bin/durable.js invoke (Node fallback)",
      cmd: ["node", join(REPO_ROOT, "bin", "durable.js"), ...invoke],
      cwd: project,
    },
  ];
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "7" } } });
  const dir = await mkdtemp(join(tmpdir(), "durable-cli-startup-"));
  try {
    const project = join(dir, "counter");
    const init = Bun.spawnSync({
      cmd: [
        join(REPO_ROOT, "bin", "durable"),
        "init",
        project,
        "--template",
        "counter",
        "--no-install",
        "--no-git",
      ],
      stdout: "ignore",
      stderr: "pipe",
    });
    if (init.exitCode !== 0) throw new Error(`durable init failed: ${init.stderr}`);
    const results = measureStartup(await invokeCommands(project), Number(values.runs));
    const base = results[0]?.medianMs ?? 1;
    console.log(`median of ${values.runs} runs each, bun ${Bun.version}`);
    for (const r of results) {
      console.log(
        `${r.label.padEnd(46)} ${r.medianMs.toFixed(1).padStart(7)} ms  ${(r.medianMs / base).toFixed(1).padStart(5)} × bun -e 0`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
