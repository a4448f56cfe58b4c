/**
 * Backend-neutral HTTP workloads: `durable dev` and the Miniflare peer both serve
 * `POST /actors/:id/increment` with a JSON body, so the same code measures both. Every loop is
 * bounded in count and every request in time, so a stuck server ends the run with an error
 * instead of hanging it.
 */

export interface HotResult {
  readonly n: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly opsPerSec: number;
  /** The counter's value after the last increment, when the server reported it. */
  readonly finalCount: number | undefined;
  /** Every timed request in order, so rounds run apart can be merged into one distribution. */
  readonly latenciesMs: readonly number[];
  readonly elapsedMs: number;
}

export interface SpreadResult {
  readonly total: number;
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly latenciesMs: readonly number[];
  readonly elapsedMs: number;
}

export interface HotOptions {
  actorId: string;
  n?: number;
  /** Untimed requests first, so connection setup and JIT are not in the numbers. */
  warmup?: number;
  timeoutMs?: number;
}

export interface SpreadOptions {
  actors?: number;
  total?: number;
  clients?: number;
  /** Actor ids are `${prefix}-${i}`; a fresh prefix per run keeps runs from sharing actors. */
  prefix?: string;
  warmup?: number;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Nearest-rank percentile (p in [0, 100]) of an ascending array; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)] as number;
}

/** Our own ascending copy: callers' arrays stay untouched. */
export function summarize(latenciesMs: readonly number[]): { p50Ms: number; p99Ms: number } {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
}

/**
 * The count an increment answered. The Miniflare peer answers `{ count }`; `durable dev`
 * wraps the handler's result in an invoke envelope `{ mode, result: { count } }`.
 */
export function countFrom(body: unknown): number | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const record = body as Record<string, unknown>;
  if (typeof record.count === "number") return record.count;
  return "result" in record ? countFrom(record.result) : undefined;
}

export async function increment(
  baseUrl: string,
  actorId: string,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<number | undefined> {
  const response = await fetch(`${baseUrl}/actors/${encodeURIComponent(actorId)}/increment`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: '{"by":1}',
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`increment ${actorId}: HTTP ${response.status} ${text.slice(0, 200)}`);
  return countFrom(JSON.parse(text));
}

/** One client, one actor, one request at a time: the latency of a single hot actor. */
export async function hotSequential(baseUrl: string, options: HotOptions): Promise<HotResult> {
  const n = options.n ?? 1000;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  for (let i = 0; i < (options.warmup ?? 20); i++) await increment(baseUrl, options.actorId, timeoutMs);
  const latencies: number[] = [];
  let previous: number | undefined;
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const count = await increment(baseUrl, options.actorId, timeoutMs);
    latencies.push(performance.now() - t0);
    // A fast server that loses writes is no result: every answer must be the previous plus one.
    if (previous !== undefined && count !== undefined && count !== previous + 1) {
      throw new Error(`hot actor ${options.actorId}: count went from ${previous} to ${count}`);
    }
    previous = count;
  }
  const elapsedMs = performance.now() - started;
  return {
    n,
    ...summarize(latencies),
    opsPerSec: (n * 1000) / elapsedMs,
    finalCount: previous,
    latenciesMs: latencies,
    elapsedMs,
  };
}

/** `clients` concurrent loops share `total` increments spread round-robin over `actors` actors. */
export async function spreadConcurrent(baseUrl: string, options: SpreadOptions = {}): Promise<SpreadResult> {
  const actors = options.actors ?? 1000;
  const total = options.total ?? 10_000;
  const clients = options.clients ?? 8;
  const prefix = options.prefix ?? `spread-${Date.now().toString(36)}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const warmup = options.warmup ?? clients * 4;
  for (let i = 0; i < warmup; i++) await increment(baseUrl, `${prefix}-warmup-${i % clients}`, timeoutMs);
  const latencies: number[] = [];
  let next = 0;
  const client = async (): Promise<void> => {
    // Single-threaded event loop: taking `next++` between awaits hands out each index once.
    for (let i = next++; i < total; i = next++) {
      const t0 = performance.now();
      await increment(baseUrl, `${prefix}-${i % actors}`, timeoutMs);
      latencies.push(performance.now() - t0);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, client));
  const elapsedMs = performance.now() - started;
  return {
    total,
    opsPerSec: (total * 1000) / elapsedMs,
    ...summarize(latencies),
    latenciesMs: latencies,
    elapsedMs,
  };
}
