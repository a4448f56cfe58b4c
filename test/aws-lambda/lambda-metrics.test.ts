import { describe, expect, test } from "bun:test";
import { emfLine, LambdaMetrics } from "../../runtime/adapters/aws/lambda-metrics.ts";
import type { TurnLogEntry } from "../../runtime/core/turn.ts";

interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

/** Checks a line the way CloudWatch does before it extracts metrics from it; returns it parsed. */
function parseEmf(line: string): EmfDocument {
  const doc = JSON.parse(line) as EmfDocument;
  expect(typeof doc._aws.Timestamp).toBe("number");
  for (const directive of doc._aws.CloudWatchMetrics) {
    expect(directive.Namespace.length).toBeGreaterThan(0);
    for (const set of directive.Dimensions) {
      expect(set.length).toBeLessThanOrEqual(30);
      for (const dimension of set) expect(typeof doc[dimension]).toBe("string");
    }
    for (const metric of directive.Metrics) {
      expect(["Milliseconds", "Count"]).toContain(metric.Unit);
      const value = doc[metric.Name];
      const values = Array.isArray(value) ? value : [value];
      expect(values.length).toBeGreaterThan(0);
      expect(values.length).toBeLessThanOrEqual(100);
      for (const v of values) expect(Number.isFinite(v)).toBe(true);
    }
  }
  return doc;
}

function turn(overrides: Partial<TurnLogEntry> = {}): TurnLogEntry {
  return {
    type: "turn",
    actorId: "counter-1",
    actorType: "counter",
    handlers: ["increment"],
    messages: 1,
    version: 1,
    epoch: 1,
    leaseWaitMs: 2,
    durationMs: 9,
    retries: 0,
    outcome: "committed",
    ...overrides,
  };
}

describe("lambda EMF metrics", () => {
  test("emfLine writes one valid EMF document whose metric values sit beside its dimensions", () => {
    const doc = parseEmf(
      emfLine({
        namespace: "DurableLambda",
        dimensions: { Fabric: "app-dev", Source: "actor-queue" },
        metrics: {
          MessagesApplied: { unit: "Count", values: [7] },
          TurnDuration: { unit: "Milliseconds", values: [3, 4] },
        },
        timestamp: 1_700_000_000_000,
      }),
    );
    expect(doc._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([["Fabric", "Source"]]);
    expect(doc.MessagesApplied).toBe(7);
    expect(doc.TurnDuration).toEqual([3, 4]);
    expect(doc.Fabric).toBe("app-dev");
  });

  test("one invocation's turns become one line per actor type with every turn's timings, retries and failures", () => {
    const lines: string[] = [];
    const metrics = new LambdaMetrics({
      namespace: "DurableLambda",
      fabric: "app-dev",
      write: (l) => lines.push(l),
      now: () => 1,
    });
    metrics.turn(turn({ durationMs: 10, leaseWaitMs: 1, retries: 2 }));
    metrics.turn(turn({ durationMs: 20, leaseWaitMs: 0, outcome: "failed", messages: 3 }));
    metrics.turn(turn({ actorType: "ledger", durationMs: 5 }));
    metrics.count("actor-queue", "MessagesApplied", 4);
    metrics.count("actor-queue", "MessagesRetried", 2);
    metrics.count("actor-queue", "MessagesDeadLettered", 1);
    metrics.count("actor-queue", "MessagesApplied", 1);
    metrics.flush();
    const docs = lines.map(parseEmf);
    expect(docs).toHaveLength(3);
    const counter = docs.find((d) => d.ActorType === "counter");
    expect(counter).toMatchObject({
      TurnDuration: [10, 20],
      LeaseWait: [1, 0],
      TurnRetries: [2, 0],
      TurnFailed: [0, 1],
      TurnMessages: [1, 3],
    });
    expect(docs.find((d) => d.ActorType === "ledger")).toMatchObject({ TurnDuration: 5, TurnFailed: 0 });
    expect(docs.find((d) => d.Source === "actor-queue")).toMatchObject({
      MessagesApplied: 5,
      MessagesRetried: 2,
      MessagesDeadLettered: 1,
    });
  });

  test("flush writes nothing when nothing happened, and starts over after writing", () => {
    const lines: string[] = [];
    const metrics = new LambdaMetrics({
      namespace: "N",
      fabric: "f",
      write: (l) => lines.push(l),
      now: () => 1,
    });
    metrics.flush();
    expect(lines).toEqual([]);
    metrics.count("signal", "SignalsRouted", 1);
    metrics.flush();
    metrics.flush();
    expect(lines).toHaveLength(1);
  });

  test("more than 100 turns of one type are split over several lines (EMF's limit per metric)", () => {
    const lines: string[] = [];
    const metrics = new LambdaMetrics({
      namespace: "N",
      fabric: "f",
      write: (l) => lines.push(l),
      now: () => 1,
    });
    for (let i = 0; i < 150; i++) metrics.turn(turn({ durationMs: i }));
    metrics.flush();
    const docs = lines.map(parseEmf);
    expect(docs.map((d) => (d.TurnDuration as number[]).length)).toEqual([100, 50]);
  });
});
