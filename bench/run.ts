/**
 * `npm run bench`: each section measures one thing against its reference in the same run (the
 * AWS path against its baseline on DynamoDB Local; the local fabric against Miniflare and
 * Restate; the CLI against starting Bun), prints a table, and the run writes
 * bench/results/latest.json with every section's numbers and a `targets` list.
 *
 *   bun bench/run.ts [--quick] [--only aws,local,cli,state] [--out <file>]
 *
 * --quick shrinks every workload (a smoke run of the harness, not a result). Numbers are only
 * comparable side by side within one run: the machine is shared, so ratios are the result.
 */
import { existsSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { SECTIONS } from "./sections.ts";

const BENCH_DIR = import.meta.dir;

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    out: { type: "string", default: join(BENCH_DIR, "results", "latest.json") },
  },
});
const only = args.only?.split(",").map((s) => s.trim());
const unknown = only?.filter((name) => !SECTIONS.some((s) => s.name === name)) ?? [];
if (unknown.length > 0) {
  console.error(
    `--only takes ${SECTIONS.map((s) => s.name).join(", ")} (comma-separated), not "${unknown.join(", ")}"`,
  );
  process.exit(2);
}
const chosen = SECTIONS.filter((s) => !only || only.includes(s.name));

const started = performance.now();
const loadBefore = loadavg()[0] ?? 0;
const progress = (line: string): void => {
  console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}`);
};

if (chosen.some((s) => s.needsPeers)) await ensureBenchDependencies();

const results: Record<string, unknown> = {};
const targets: unknown[] = [];
const tables: string[] = [];
for (const section of chosen) {
  const outcome = await section.run({ quick: args.quick, progress });
  Object.assign(results, outcome.json);
  targets.push(...outcome.targets);
  tables.push(outcome.table);
}

const durationS = (performance.now() - started) / 1000;
const document = {
  generatedAt: new Date().toISOString(),
  quick: args.quick,
  environment: {
    bun: Bun.version,
    node: process.versions.node,
    cpus: cpus().length,
    loadAverage1m: { before: Number(loadBefore.toFixed(2)), after: Number((loadavg()[0] ?? 0).toFixed(2)) },
    durationS: Number(durationS.toFixed(1)),
  },
  ...results,
  targets,
};
await writeAtomically(
  args.out ?? join(BENCH_DIR, "results", "latest.json"),
  `${JSON.stringify(document, null, 2)}\n`,
);

console.log(
  `\nDurable Lambda benchmark${args.quick ? " (--quick: harness smoke, not a result)" : ""}: ` +
    `bun ${Bun.version}, ${cpus().length} CPUs, 1-min load ${loadBefore.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}, ${durationS.toFixed(0)} s\n`,
);
for (const table of tables) console.log(`${table}\n`);
const { targetsTable } = await import("./table.ts");
console.log(targetsTable(targets as Parameters<typeof targetsTable>[0]));
console.log(`\nwrote ${args.out}`);
// Exit 0 even when a target is missed: the table and JSON are the output, a miss is a finding.
process.exit(0);

/** The peers (Miniflare, Restate) live in bench/'s own package so the main install stays lean. */
async function ensureBenchDependencies(): Promise<void> {
  const installed = ["miniflare", "@restatedev/restate-server", "@restatedev/restate-sdk"].every((name) =>
    existsSync(join(BENCH_DIR, "node_modules", name, "package.json")),
  );
  if (installed) return;
  progress("installing bench dependencies (npm ci --prefix bench)");
  const npm = Bun.spawn({
    cmd: ["npm", "ci", "--prefix", BENCH_DIR, "--no-audit", "--no-fund"],
    stdout: "inherit",
    stderr: "inherit",
  });
  if ((await npm.exited) !== 0) throw new Error("npm ci --prefix bench failed");
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}
