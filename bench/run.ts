/**
 * `npm run bench`: the AWS path against its baseline on DynamoDB Local, then the local fabric
 * against Miniflare; prints a table and writes bench/results/latest.json.
 *
 *   bun bench/run.ts [--quick] [--only aws|local|state] [--out <file>]
 *
 * --quick shrinks every workload (a smoke run of the harness, not a result). Numbers are only
 * comparable side by side within one run: the machine is shared, so ratios are the result.
 */
import { existsSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { type AwsBenchOptions, DEFAULT_AWS_OPTIONS, runAwsBench } from "./aws-bench.ts";
import { DEFAULT_LOCAL_OPTIONS, type LocalBenchOptions, runLocalBench } from "./local-bench.ts";
import { awsJson, awsTargets, localJson, localTargets, stateSizeJson, type Target } from "./report.ts";
import { DEFAULT_STATE_SIZE_OPTIONS, runStateSizeBench, stateSizeTable } from "./state-size-bench.ts";
import { awsTable, localTable, targetsTable } from "./table.ts";

const BENCH_DIR = import.meta.dir;

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    out: { type: "string", default: join(BENCH_DIR, "results", "latest.json") },
  },
});
if (args.only !== undefined && !["aws", "local", "state"].includes(args.only)) {
  console.error(`--only takes "aws", "local" or "state", not "${args.only}"`);
  process.exit(2);
}

const aws: AwsBenchOptions = args.quick
  ? { ...DEFAULT_AWS_OPTIONS, hotInvokes: 20, spreadInvokes: 20, spreadActors: 10, batches: 4, rounds: 2 }
  : DEFAULT_AWS_OPTIONS;
const local: LocalBenchOptions = args.quick
  ? {
      ...DEFAULT_LOCAL_OPTIONS,
      hotN: 100,
      hotRounds: 2,
      spreadTotal: 400,
      spreadActors: 40,
      spreadRounds: 2,
      settleMs: 500,
    }
  : DEFAULT_LOCAL_OPTIONS;

const started = performance.now();
const loadBefore = loadavg()[0] ?? 0;
const progress = (line: string): void => {
  console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}`);
};

await ensureBenchDependencies();

const results: Record<string, unknown> = {};
const targets: Target[] = [];
const sections: string[] = [];

if (args.only === undefined || args.only === "aws") {
  progress("aws: starting DynamoDB Local and fauxqs");
  const r = await runAwsBench({ ...aws, onProgress: progress });
  results.aws = awsJson(r, aws);
  targets.push(...awsTargets(r));
  sections.push(awsTable(r, aws.latencyMs, aws.concurrency, aws.spreadActors));
}
if (args.only !== "local") {
  const options = args.quick
    ? { ...DEFAULT_STATE_SIZE_OPTIONS, calls: 12, rounds: 2 }
    : DEFAULT_STATE_SIZE_OPTIONS;
  progress("state size: a 1 KB against a 1 MB state on DynamoDB Local and fauxqs (S3)");
  const r = await runStateSizeBench({ ...options, onProgress: progress });
  results.stateSize = stateSizeJson(r, options);
  sections.push(stateSizeTable(r, options));
}
if (args.only === undefined || args.only === "local") {
  progress("local: generating a counter project, starting durable dev and Miniflare");
  const r = await runLocalBench({ ...local, onProgress: progress });
  Object.assign(results, localJson(r));
  targets.push(...localTargets(r));
  sections.push(localTable(r));
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
for (const section of sections) console.log(`${section}\n`);
console.log(targetsTable(targets));
console.log(`\nwrote ${args.out}`);
// Exit 0 even when a target is missed: the table and JSON are the output, a miss is a finding.
process.exit(0);

/** Miniflare lives in bench/'s own package; `npm run bench` installs it before this process starts. */
async function ensureBenchDependencies(): Promise<void> {
  if (
    (args.only !== undefined && args.only !== "local") ||
    existsSync(join(BENCH_DIR, "node_modules", "miniflare"))
  )
    return;
  console.error(
    "bench/node_modules is missing: run `npm run bench` (it installs them first) or `npm ci --prefix bench`",
  );
  process.exit(2);
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}
