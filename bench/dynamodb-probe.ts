/**
 * SDK middleware on a DynamoDB client that makes DynamoDB Local behave like a same-region
 * DynamoDB (a fixed latency per request) and records every request in a RequestLog.
 *
 * It sits at the `deserialize` step, the innermost one: it runs once per HTTP attempt, after
 * the retry middleware, so an SDK retry is counted (and delayed) as the extra request it is.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { RequestLog } from "./request-log.ts";

export interface ProbeOptions {
  log: RequestLog;
  /** Added before each request is sent: DynamoDB Local answers in about a millisecond. */
  latencyMs: number;
}

type Input = Record<string, unknown>;

export function instrumentDynamoDb(client: DynamoDBClient, options: ProbeOptions): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const op = (context.commandName ?? "Unknown").replace(/Command$/, "");
      const units = requestUnits(op, args.input as Input);
      const startMs = performance.now();
      if (options.latencyMs > 0) await sleep(options.latencyMs);
      try {
        const result = await next(args);
        // Inside the deserializer an error answer is still a raw response: its status tells.
        const status = (result.response as { statusCode?: number } | undefined)?.statusCode ?? 200;
        const error = status >= 300 ? `HTTP ${status}` : undefined;
        options.log.record({ op, startMs, endMs: performance.now(), ...units, error });
        return result;
      } catch (error) {
        const name = error instanceof Error ? error.name : String(error);
        options.log.record({ op, startMs, endMs: performance.now(), ...units, error: name });
        throw error;
      }
    },
    // Lowest priority: innermost in the step, next to the HTTP handler, after all retry logic.
    { step: "deserialize", name: "durableBenchProbe", priority: "low", override: true },
  );
}

const KB = 1024;

/**
 * Request units by DynamoDB's on-demand rules, from what the request carries: a write is 1 unit
 * per started KB of the item, a strongly consistent read 1 unit per started 4 KB, and each item
 * of a transaction costs twice that. Only Put carries its item; an Update, Delete, Get or
 * ConditionCheck is counted as one unit-sized item, which holds for the small items benchmarked
 * here (the counter's state and markers are well under 1 KB). A BatchGetItem reads each key as a
 * GetItem would. A ConditionCheck in a transaction
 * is counted as a transactional write, the conservative reading of the pricing page.
 */
export function requestUnits(op: string, input: Input): { readUnits: number; writeUnits: number } {
  switch (op) {
    case "GetItem":
      return { readUnits: input.ConsistentRead === true ? 1 : 0.5, writeUnits: 0 };
    case "PutItem":
      return { readUnits: 0, writeUnits: writeUnitsOf(input.Item) };
    case "UpdateItem":
    case "DeleteItem":
      return { readUnits: 0, writeUnits: 1 };
    case "TransactGetItems":
      return { readUnits: 2 * listLength(input.TransactItems), writeUnits: 0 };
    case "BatchGetItem": {
      // Counted per key asked for (a missing item is still read): the counter's items are under 4 KB.
      let readUnits = 0;
      for (const table of Object.values((input.RequestItems ?? {}) as Record<string, Input>)) {
        readUnits += listLength(table.Keys) * (table.ConsistentRead === true ? 1 : 0.5);
      }
      return { readUnits, writeUnits: 0 };
    }
    case "TransactWriteItems": {
      let writeUnits = 0;
      for (const item of asList(input.TransactItems)) {
        const put = (item as { Put?: { Item?: unknown } }).Put;
        writeUnits += 2 * (put ? writeUnitsOf(put.Item) : 1);
      }
      return { readUnits: 0, writeUnits };
    }
    default:
      return { readUnits: 0, writeUnits: 0 };
  }
}

function writeUnitsOf(item: unknown): number {
  return Math.max(1, Math.ceil(itemBytes(item) / KB));
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function listLength(value: unknown): number {
  return asList(value).length;
}

/** DynamoDB's item size: attribute names plus values (numbers about half their digits). */
export function itemBytes(item: unknown): number {
  if (typeof item !== "object" || item === null) return 0;
  let total = 0;
  for (const [name, value] of Object.entries(item)) total += Buffer.byteLength(name) + valueBytes(value);
  return total;
}

function valueBytes(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  const v = value as Record<string, unknown>;
  if (typeof v.S === "string") return Buffer.byteLength(v.S);
  if (typeof v.N === "string") return Math.ceil(v.N.replace(/[-.]/g, "").length / 2) + 1;
  if (v.B instanceof Uint8Array) return v.B.byteLength;
  if (typeof v.BOOL === "boolean" || v.NULL === true) return 1;
  if (Array.isArray(v.L)) return 3 + v.L.reduce((sum: number, x) => sum + 1 + valueBytes(x), 0);
  if (typeof v.M === "object" && v.M !== null) return 3 + itemBytes(v.M) + Object.keys(v.M).length;
  if (Array.isArray(v.SS)) return v.SS.reduce((sum: number, s) => sum + Buffer.byteLength(String(s)), 0);
  return 0;
}
