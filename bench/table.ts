/** The printed summary: plain aligned text, readable in a terminal and in a CI log. */
import type { AwsBenchResults } from "./aws-bench.ts";
import type { CliBenchResults } from "./cli-bench.ts";
import type { InvokeSummary } from "./invoke-stats.ts";
import type { BackendResults, LocalBenchResults } from "./local-bench.ts";
import type { Target } from "./report.ts";

type Row = readonly string[];

export function formatTable(rows: readonly Row[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join("  "),
    )
    .join("\n");
}

const f = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : "-");
const ratio = (a: number, b: number): string => (b === 0 ? "-" : (a / b).toFixed(2));

export function awsTable(
  r: AwsBenchResults,
  o: { latencyMs: number; concurrency: number; spreadActors: number; warmGraceMs: number },
): string {
  const { latencyMs, concurrency, spreadActors: actors, warmGraceMs } = o;
  const d = r.durable;
  const b = r.baseline;
  const perMsg = (units: number): number => units / 10;
  // What an invoke would take if DynamoDB answered every request in exactly `latencyMs`.
  const model = (s: InvokeSummary): number => s.meanMs - s.storageMs + s.roundTrips * latencyMs;
  return formatTable([
    [
      `AWS path: DynamoDB Local + ${latencyMs} ms per request, warm grace ${warmGraceMs} ms`,
      "durable",
      "baseline",
      "ratio",
    ],
    [
      "sync, 1 hot actor: DynamoDB requests / invoke",
      f(d.hot.requests, 2),
      f(b.hot.requests, 2),
      ratio(d.hot.requests, b.hot.requests),
    ],
    [
      "sync, 1 hot actor: sequential round trips (mean/max)",
      `${f(d.hot.roundTrips, 2)}/${d.hot.roundTripsMax}`,
      `${f(b.hot.roundTrips, 2)}/${b.hot.roundTripsMax}`,
      ratio(d.hot.roundTrips, b.hot.roundTrips),
    ],
    ["sync, 1 hot actor: p50 ms", f(d.hot.p50Ms), f(b.hot.p50Ms), ratio(d.hot.p50Ms, b.hot.p50Ms)],
    ["sync, 1 hot actor: p99 ms", f(d.hot.p99Ms), f(b.hot.p99Ms), ratio(d.hot.p99Ms, b.hot.p99Ms)],
    [
      "sync, 1 hot actor: ms in flight / handler ms (mean)",
      `${f(d.hot.storageMs)}/${f(d.hot.meanMs - d.hot.storageMs)}`,
      `${f(b.hot.storageMs)}/${f(b.hot.meanMs - b.hot.storageMs)}`,
      "",
    ],
    [
      `sync, 1 hot actor: handler ms + round trips x ${latencyMs} ms (latency model)`,
      f(model(d.hot)),
      f(model(b.hot)),
      ratio(model(d.hot), model(b.hot)),
    ],
    [
      `sync, ${actors} actors x ${concurrency} instances: requests / round trips`,
      `${f(d.spread.requests, 2)} / ${f(d.spread.roundTrips, 2)}`,
      `${f(b.spread.requests, 2)} / ${f(b.spread.roundTrips, 2)}`,
      "",
    ],
    [
      `sync, ${actors} actors x ${concurrency} instances: p50 / p99 ms`,
      `${f(d.spread.p50Ms)} / ${f(d.spread.p99Ms)}`,
      `${f(b.spread.p50Ms)} / ${f(b.spread.p99Ms)}`,
      ratio(d.spread.p50Ms, b.spread.p50Ms),
    ],
    [
      "sync, hot: read / write request units per invoke",
      `${f(d.hot.readUnits)} / ${f(d.hot.writeUnits)}`,
      `${f(b.hot.readUnits)} / ${f(b.hot.writeUnits)}`,
      "",
    ],
    [
      "sync, spread: read / write request units per invoke",
      `${f(d.spread.readUnits)} / ${f(d.spread.writeUnits)}`,
      `${f(b.spread.readUnits)} / ${f(b.spread.writeUnits)}`,
      "",
    ],
    [
      "async, 10-message batch, 1 actor: DynamoDB requests",
      f(d.batch.requests, 2),
      f(b.batch.requests, 2),
      ratio(d.batch.requests, b.batch.requests),
    ],
    [
      "async, 10-message batch: p50 ms per batch",
      f(d.batch.p50Ms),
      f(b.batch.p50Ms),
      ratio(d.batch.p50Ms, b.batch.p50Ms),
    ],
    [
      "async, 1 actor: messages / s",
      f(d.batch.messagesPerSec),
      f(b.batch.messagesPerSec),
      ratio(d.batch.messagesPerSec, b.batch.messagesPerSec),
    ],
    [
      "async: read / write request units per message",
      `${f(perMsg(d.batch.readUnits), 2)} / ${f(perMsg(d.batch.writeUnits), 2)}`,
      `${f(perMsg(b.batch.readUnits), 2)} / ${f(perMsg(b.batch.writeUnits), 2)}`,
      "",
    ],
  ]);
}

export function localTable(r: LocalBenchResults): string {
  const { local: l, miniflare: m, restate: s } = r;
  const all = [l, m, s];
  const row = (label: string, pick: (b: BackendResults) => string): string[] => [label, ...all.map(pick)];
  const best = (pick: (b: BackendResults) => number) => Math.max(pick(m), pick(s));
  return formatTable([
    ["Local, over HTTP (Bun client)", "durable dev", "miniflare", "restate", "dev / best peer"],
    [...row(`hot: ${l.hot.n} sequential increments, p50 ms`, (b) => f(b.hot.p50Ms, 3)), ""],
    [...row("hot: p99 ms", (b) => f(b.hot.p99Ms, 2)), ""],
    [
      ...row("hot: ops / s", (b) => f(b.hot.opsPerSec, 0)),
      ratio(
        l.hot.opsPerSec,
        best((b) => b.hot.opsPerSec),
      ),
    ],
    [
      ...row(
        `spread: ${l.spread.total} over ${l.spread.actors} actors, ${l.spread.clients} clients, ops / s`,
        (b) => f(b.spread.opsPerSec, 0),
      ),
      ratio(
        l.spread.opsPerSec,
        best((b) => b.spread.opsPerSec),
      ),
    ],
    [...row("spread: p50 / p99 ms", (b) => `${f(b.spread.p50Ms, 2)} / ${f(b.spread.p99Ms, 1)}`), ""],
    [
      ...row(
        "idle RSS MB, every process (dev: bin + Bun; miniflare: node + workerd; restate: server + Bun)",
        (b) => f(b.memory.idleMb),
      ),
      ratio(l.memory.idleMb, Math.min(m.memory.idleMb, s.memory.idleMb)),
    ],
    [...row("RSS MB after the workloads", (b) => f(b.memory.afterLoadMb)), ""],
  ]);
}

export function cliTable(r: CliBenchResults): string {
  return formatTable([
    [`${r.command}, whole processes, median of ${r.runs}`, "wall ms", "× bun -e 0", "CPU ms"],
    ...r.variants.map((v) => [v.label, f(v.wallMs), ratio(v.wallMs, r.bunFloorMs), f(v.cpuMs)]),
  ]);
}

export function targetsTable(targets: readonly Target[]): string {
  return formatTable([
    ["Target", "measured", "bound", "ratio", "verdict"],
    ...targets.map((t) => [
      t.description,
      String(t.value),
      String(t.limit),
      t.ratio === undefined ? "" : t.ratio.toFixed(2),
      t.met ? "met" : "MISSED",
    ]),
  ]);
}
