import type { TurnLogEntry } from "../../core/turn.ts";

/** CloudWatch units the fabric uses. */
export type MetricUnit = "Milliseconds" | "Count";

/** Counters kept per invocation, by event source. */
export type CounterName =
  | "MessagesApplied"
  | "MessagesRetried"
  | "MessagesDeadLettered"
  | "MessagesHeld"
  | "ActorsParked"
  | "SignalRoutesFailed"
  | "OutboxesSwept"
  | "TimersRelayed"
  | "SignalsRouted"
  | "InvokeErrors";

const TURN_METRICS = [
  ["TurnDuration", "Milliseconds"],
  ["LeaseWait", "Milliseconds"],
  // Re-runs after a version conflict or a lost lease: a rising value means contention on an actor.
  ["TurnRetries", "Count"],
  ["TurnFailed", "Count"],
  ["TurnMessages", "Count"],
] as const satisfies readonly (readonly [string, MetricUnit])[];

/** EMF takes at most 100 values per metric in one line. */
const MAX_VALUES = 100;

export interface EmfLineOptions {
  namespace: string;
  dimensions: Record<string, string>;
  metrics: Record<string, { unit: MetricUnit; values: number[] }>;
  timestamp: number;
}

/**
 * One CloudWatch Embedded Metric Format line: CloudWatch Logs turns it into metrics, with no API
 * call (nothing in flight when the function is frozen). Values are arrays so one line carries
 * every turn of an invocation.
 * @example emfLine({ namespace: "DurableLambda", dimensions: { Fabric: "app-dev" }, metrics: { MessagesApplied: { unit: "Count", values: [3] } }, timestamp: Date.now() })
 */
export function emfLine(options: EmfLineOptions): string {
  const names = Object.keys(options.metrics);
  const body: Record<string, unknown> = {
    _aws: {
      Timestamp: options.timestamp,
      CloudWatchMetrics: [
        {
          Namespace: options.namespace,
          Dimensions: [Object.keys(options.dimensions)],
          Metrics: names.map((name) => ({ Name: name, Unit: options.metrics[name]?.unit })),
        },
      ],
    },
    ...options.dimensions,
  };
  for (const name of names) {
    const values = options.metrics[name]?.values ?? [];
    body[name] = values.length === 1 ? values[0] : values;
  }
  return JSON.stringify(body);
}

export interface LambdaMetricsOptions {
  namespace: string;
  /** The fabric's name (its resource prefix): a dimension, so stages do not mix. */
  fabric: string;
  write: (line: string) => void;
  now: () => number;
}

/**
 * Collects one invocation's metrics and writes them as a few EMF lines at its end: turn timings
 * per actor type, and message counters per event source.
 */
export class LambdaMetrics {
  readonly #turns = new Map<string, Record<string, number[]>>();
  readonly #counters = new Map<string, Map<CounterName, number>>();

  constructor(private readonly options: LambdaMetricsOptions) {}

  turn(entry: TurnLogEntry): void {
    let series = this.#turns.get(entry.actorType);
    if (!series) {
      series = {};
      this.#turns.set(entry.actorType, series);
    }
    const values: Record<(typeof TURN_METRICS)[number][0], number> = {
      TurnDuration: entry.durationMs,
      LeaseWait: entry.leaseWaitMs,
      TurnRetries: entry.retries,
      TurnFailed: entry.outcome === "failed" ? 1 : 0,
      TurnMessages: entry.messages,
    };
    for (const [name] of TURN_METRICS) {
      const list = series[name] ?? [];
      list.push(values[name]);
      series[name] = list;
    }
  }

  count(source: string, name: CounterName, n: number): void {
    let counters = this.#counters.get(source);
    if (!counters) {
      counters = new Map();
      this.#counters.set(source, counters);
    }
    counters.set(name, (counters.get(name) ?? 0) + n);
  }

  /** Writes what was collected and starts over; synchronous, so nothing is left for after the freeze. */
  flush(): void {
    const { namespace, fabric, write } = this.options;
    const timestamp = this.options.now();
    for (const [actorType, series] of this.#turns) {
      const turns = series.TurnDuration?.length ?? 0;
      for (let start = 0; start < turns; start += MAX_VALUES) {
        const metrics: EmfLineOptions["metrics"] = {};
        for (const [name, unit] of TURN_METRICS)
          metrics[name] = { unit, values: (series[name] ?? []).slice(start, start + MAX_VALUES) };
        write(
          emfLine({ namespace, dimensions: { Fabric: fabric, ActorType: actorType }, metrics, timestamp }),
        );
      }
    }
    for (const [source, counters] of this.#counters) {
      const metrics: EmfLineOptions["metrics"] = {};
      for (const [name, value] of counters) metrics[name] = { unit: "Count", values: [value] };
      write(emfLine({ namespace, dimensions: { Fabric: fabric, Source: source }, metrics, timestamp }));
    }
    this.#turns.clear();
    this.#counters.clear();
  }
}
