/**
 * Summarizes a .cpuprofile (from `bun --cpu-prof`) by sample counts: where the CPU went.
 *
 * Bun's own markdown summary (--cpu-prof-md) charges each sample with the time until the next
 * one, so a process that sleeps between requests shows its idle time under whatever ran last
 * (for `durable dev`, the queue worker's poll looked like 40% of the time while the process was
 * using no CPU at all). Counting samples instead charges only time spent running.
 *
 *   cd <project> && bun --cpu-prof --cpu-prof-dir=/tmp/prof <repo>/cli/main.ts dev --port 0
 *   (run a workload, stop it with Ctrl-C)
 *   bun bench/cpu-profile-summary.ts /tmp/prof/CPU.*.cpuprofile [--top 30]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "30" } },
});
const file = positionals[0];
if (!file) {
  console.error("usage: bun bench/cpu-profile-summary.ts <file.cpuprofile> [--top N]");
  process.exit(2);
}
const top = Number(values.top);
const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parents = new Map<number, number>();
for (const n of profile.nodes) for (const child of n.children ?? []) parents.set(child, n.id);

const label = (n: ProfileNode): string => {
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url ? `${url.split("/").slice(-2).join("/")}:${lineNumber + 1}` : "native";
  return `${functionName || "(anonymous)"} ${where}`;
};

const self = new Map<string, number>();
const total = new Map<string, number>();
for (const sample of profile.samples) {
  const leaf = nodes.get(sample);
  if (!leaf) continue;
  self.set(label(leaf), (self.get(label(leaf)) ?? 0) + 1);
  // A recursive function counts once per sample in its total.
  const seen = new Set<string>();
  for (let id: number | undefined = sample; id !== undefined; id = parents.get(id)) {
    const node = nodes.get(id);
    if (!node) break;
    const name = label(node);
    if (seen.has(name)) continue;
    seen.add(name);
    total.set(name, (total.get(name) ?? 0) + 1);
  }
}

const count = profile.samples.length;
const print = (title: string, counts: Map<string, number>): void => {
  console.log(`\n${title}`);
  const rows = [...counts].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [name, n] of rows)
    console.log(`${String(n).padStart(6)} ${((100 * n) / count).toFixed(1).padStart(5)}%  ${name}`);
};
console.log(`${count} samples`);
print("self (the function itself was running)", self);
print("total (the function was on the stack)", total);
