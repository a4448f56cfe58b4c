/**
 * One seed per run drives every fault decision, so a failing run replays: the seed is printed
 * once, and FAULT_SEED=<seed> makes the next run draw the same faults. Each scenario and worker
 * draws from its own stream (the seed mixed with a label), so replaying one file alone, or the
 * files in another order, still gives each scenario the faults it had.
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

function readSeed(): number {
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

export const FAULT_SEED = readSeed();
// Printed at load, not at the end: a run that hangs or crashes must still say how to replay it.
console.log(`fault seed: ${FAULT_SEED} (replay with FAULT_SEED=${FAULT_SEED} bun run test:faults)`);

/** FNV-1a, to turn a label into 32 bits that separate the streams. */
function hash(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A random stream for one scenario (and worker): the same for the same seed and label. */
export function rngFor(label: string): () => number {
  return mulberry32((FAULT_SEED ^ hash(label)) >>> 0);
}
