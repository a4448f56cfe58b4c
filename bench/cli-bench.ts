/**
 * What one CLI command costs as a whole process: `durable invoke counter-1 --sync` through the
 * package's `durable` bin, in a freshly generated counter project on the local fabric, against
 * the floor of starting Bun at all (`bun -e 0`, the Bun durable brings). Beside it, the other
 * ways an invoke starts, which explain the difference:
 *
 * - `invoke`: the user's steady state. The project's first invoke compiled its invoke path into
 *   .durable/cache/invoke (cli/invoke-cache.ts); every later one runs from that bundle. This is the
 *   number the target holds.
 * - `invoke from source`: an actor file was saved within the last second (touched before each
 *   run), so the invoke runs from source and compiles nothing: the files may still be changing.
 * - `invoke, first after a change`: the first invoke after a change, or of a new project, runs from
 *   source and then compiles (the cache is removed before each run).
 * - `invoke, durable dev running`: `durable dev` serves the same kind of project meanwhile. Its open
 *   connection spares the invoke's SQLite close its checkpoint (the file syncs), so this shows
 *   what those cost; the invoke still runs in its own process.
 * - `invoke, Node launcher`: bin/durable.js, for machines where the sh bin cannot run.
 * - `the runtime alone, from source`: a script that only imports the project's runtime copy and
 *   actor, opens .durable/local.db and runs one turn: no CLI, nothing compiled.
 *
 * Each row is the median of `runs` runs after one untimed run; the runs interleave round by round,
 * in a new order each round, so a slow spell on the shared machine touches every row alike. CPU
 * time (user + system of the process tree) is reported beside wall time: it moves less with load.
 *
 *   bun bench/cli-bench.ts [--runs 15]
 */
import { readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { durableBin, REPO_ROOT, startDevProcess } from "./dev-process.ts";
import { generateCounter } from "./local-bench.ts";

export interface CliBenchOptions {
  runs: number;
  onProgress?: (line: string) => void;
}

export const DEFAULT_CLI_OPTIONS: CliBenchOptions = { runs: 15 };

export interface CliVariant {
  label: string;
  /** Median wall time, start to exit. */
  wallMs: number;
  /** Median CPU time (user + system). */
  cpuMs: number;
  wallSamplesMs: number[];
}

export interface CliBenchResults {
  runs: number;
  command: string;
  /** The `invoke` row: median wall time of the user's steady state. */
  invokeWallMs: number;
  invokeCpuMs: number;
  invokeSamplesMs: number[];
  /** Median wall time of `bun -e 0`. */
  bunFloorMs: number;
  bunFloorCpuMs: number;
  bunFloorSamplesMs: number[];
  /** Every row, the two above included. */
  variants: CliVariant[];
}

interface Command {
  label: string;
  cmd: string[];
  cwd: string;
  /** Runs before each timed run, untimed. */
  before?: () => void;
}

const INVOKE = ["invoke", "counter-1", "--sync"];
const COMMAND = "durable invoke counter-1 --sync";
/** An invoke compiles nothing while an input is under a second old (cli/invoke-compile.ts). */
const SETTLE_MS = 1100;

/** A script doing an invoke's work without the CLI: import the runtime and actor, open, one turn. */
const RUNTIME_ALONE = `import { Fabric } from "./durable/index.ts";
import { openLocalPorts } from "./durable/adapters/local/index.ts";
import { counter } from "./actors/counter.ts";
const ports = openLocalPorts({ path: ".durable/local.db", durability: "normal", largeState: true });
await new Fabric({ ports, actors: [counter] }).invoke({ actorId: "counter-1", messageId: crypto.randomUUID() });
ports.close();
`;

export async function runCliBench(options: CliBenchOptions = DEFAULT_CLI_OPTIONS): Promise<CliBenchResults> {
  const dir = await mkdtemp(join(tmpdir(), "durable-bench-cli-"));
  const bin = durableBin();
  let dev: Awaited<ReturnType<typeof startDevProcess>> | undefined;
  try {
    // One project per row that changes its project's state: an edit or a removed cache makes
    // the next invoke run from source, and a running dev server changes what closing the
    // database costs.
    const [steady, touched, uncached, served] = ["steady", "touched", "uncached", "served"].map((name) =>
      join(dir, name),
    ) as [string, string, string, string];
    for (const project of [steady, touched, uncached, served]) await generateCounter(project);
    writeFileSync(join(steady, "runtime-alone.ts"), RUNTIME_ALONE);
    const actor = join(touched, "actors", "counter.ts");
    await Bun.sleep(SETTLE_MS);
    dev = await startDevProcess(served);
    const commands: Command[] = [
      { label: "bun -e 0", cmd: [process.execPath, "-e", "0"], cwd: steady },
      { label: "invoke", cmd: [bin, ...INVOKE], cwd: steady },
      {
        label: "invoke from source (an actor just saved)",
        cmd: [bin, ...INVOKE],
        cwd: touched,
        before: () => utimesSync(actor, new Date(), new Date()),
      },
      {
        label: "invoke, first after a change (from source, then compiles)",
        cmd: [bin, ...INVOKE],
        cwd: uncached,
        before: () => rmSync(join(uncached, ".durable", "cache"), { recursive: true, force: true }),
      },
      { label: "invoke, durable dev running", cmd: [bin, ...INVOKE], cwd: served },
      {
        label: "invoke, Node launcher (bin/durable.js)",
        cmd: ["node", join(REPO_ROOT, "bin", "durable.js"), ...INVOKE],
        cwd: steady,
      },
      { label: "the runtime alone, from source", cmd: [process.execPath, "runtime-alone.ts"], cwd: steady },
    ];
    // The untimed run: it compiles the steady and served projects' bundles.
    for (const command of commands) timed(command);
    const bundles = [steady, served].map(compiledBundle);
    const variants = measure(commands, options);
    // Every timed run of those rows used the bundle the untimed run compiled: none recompiled.
    if ([steady, served].map(compiledBundle).join() !== bundles.join()) {
      throw new Error(`the compiled invoke changed during the runs: ${bundles.join()}`);
    }
    const floor = variants[0] as CliVariant;
    const invoke = variants[1] as CliVariant;
    return {
      runs: options.runs,
      command: COMMAND,
      invokeWallMs: invoke.wallMs,
      invokeCpuMs: invoke.cpuMs,
      invokeSamplesMs: invoke.wallSamplesMs,
      bunFloorMs: floor.wallMs,
      bunFloorCpuMs: floor.cpuMs,
      bunFloorSamplesMs: floor.wallSamplesMs,
      variants,
    };
  } finally {
    await dev?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function measure(commands: readonly Command[], options: CliBenchOptions): CliVariant[] {
  const wall = commands.map(() => [] as number[]);
  const cpu = commands.map(() => [] as number[]);
  for (let round = 0; round < options.runs; round++) {
    options.onProgress?.(`cli: round ${round + 1} of ${options.runs}`);
    const order = commands.map((_, i) => i).sort(() => Math.random() - 0.5);
    for (const i of order) {
      const sample = timed(commands[i] as Command);
      wall[i]?.push(sample.wallMs);
      cpu[i]?.push(sample.cpuMs);
    }
  }
  return commands.map((command, i) => ({
    label: command.label,
    wallMs: median(wall[i] ?? []),
    cpuMs: median(cpu[i] ?? []),
    wallSamplesMs: wall[i] ?? [],
  }));
}

function timed(command: Command): { wallMs: number; cpuMs: number } {
  command.before?.();
  const started = performance.now();
  const run = Bun.spawnSync({
    cmd: command.cmd,
    cwd: command.cwd,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const wallMs = performance.now() - started;
  if (run.exitCode !== 0) {
    throw new Error(`${command.label}: ${command.cmd.join(" ")} exited ${run.exitCode}: ${run.stderr}`);
  }
  return { wallMs, cpuMs: Number(run.resourceUsage.cpuTime.total) / 1000 };
}

/** The bundle the project's cache manifest names; fails if there is none. */
function compiledBundle(project: string): string {
  const manifest = JSON.parse(
    readFileSync(join(project, ".durable", "cache", "invoke", "manifest.json"), "utf8"),
  ) as { bundle?: string; skipped?: string };
  if (!manifest.bundle) throw new Error(`${project}: the invoke was not compiled (${manifest.skipped})`);
  return manifest.bundle;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "15" } } });
  const { cliTable } = await import("./table.ts");
  const r = await runCliBench({ runs: Number(values.runs), onProgress: (line) => console.error(line) });
  console.log(cliTable(r));
}
