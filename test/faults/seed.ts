/**
 * Seeds drive every fault decision, so a failing run replays. A run has one base seed (FAULT_SEED,
 * or a random one), printed at load. `npm run test:faults` runs every scenario once, under the base
 * seed, at full size. `npm run test:faults -- --seeds N` (run.ts passes N on as FAULT_SEEDS) is a
 * sweep: every scenario runs once per seed of a list derived from the base seed, each run at sweep
 * size (see `sized`). The list starts with the base seed itself, so one failing seed of a sweep
 * replays alone with `FAULT_SEED=<seed> npm run test:faults -- --seeds 1`.
 *
 * Each scenario, worker and kind of call draws from its own stream (the seed mixed with a label),
 * so replaying one file alone, or the files in another order, still gives each the faults it had.
 */

/** mulberry32: 32 bits of state, fast and well mixed, plenty for fault decisions. */
export function mulberry32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x6d2b79f5) | 0;
    let t = Math.imul(x ^ (x >>> 15), 1 | x);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, to turn a label into 32 bits that separate the streams. */
function hash(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function readBaseSeed(): number {
  const raw = process.env.FAULT_SEED;
  if (raw !== undefined && raw !== "") {
    const seed = Number(raw);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new Error(`FAULT_SEED must be an integer from 0 to 4294967295, got "${raw}"`);
    }
    return seed;
  }
  return Math.floor(Math.random() * 0x100000000);
}

function readSeedCount(): number | undefined {
  const raw = process.env.FAULT_SEEDS;
  if (raw === undefined || raw === "") return undefined;
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1 || count > 100_000) {
    throw new Error(`FAULT_SEEDS (--seeds) must be an integer from 1 to 100000, got "${raw}"`);
  }
  return count;
}

export const BASE_SEED = readBaseSeed();
const count = readSeedCount();

/** True under `--seeds N`: workloads run at sweep size. */
export const SWEEP = count !== undefined;

/** The seeds of this run: the base seed, then seeds derived from it. */
export const SEEDS: readonly number[] = Array.from({ length: count ?? 1 }, (_, i) =>
  i === 0 ? BASE_SEED : Math.floor(mulberry32((BASE_SEED ^ hash(`sweep/${i}`)) >>> 0)() * 0x100000000),
);

// Printed at load, not at the end: a run that hangs or crashes must still say how to replay it.
if (SWEEP) {
  console.log(
    `fault seeds: ${SEEDS.length} derived from base ${BASE_SEED}, sweep-size workloads: ${SEEDS.join(" ")}\n` +
      `(replay the sweep with FAULT_SEED=${BASE_SEED} npm run test:faults -- --seeds ${SEEDS.length}; ` +
      "one seed with FAULT_SEED=<seed> npm run test:faults -- --seeds 1)",
  );
} else {
  console.log(`fault seed: ${BASE_SEED} (replay with FAULT_SEED=${BASE_SEED} bun run test:faults)`);
}

/** A random stream for one seed and label (scenario, worker, kind of call): the same for the same pair. */
export function rngFor(seed: number, label: string): () => number {
  return mulberry32((seed ^ hash(label)) >>> 0);
}

/**
 * The size of a workload: `full` in a normal run, `sweep` under `--seeds`, where each scenario runs
 * once per seed and must keep every fault kind it injects while doing less of it.
 */
export function sized<T>(full: T, sweep: T): T {
  return SWEEP ? sweep : full;
}

/** What a test name carries so a failing sweep run names its seed ("" in a normal run). */
export function seedTag(seed: number): string {
  return SWEEP ? ` [seed ${seed}]` : "";
}
