import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { HttpRequest, HttpResponse } from "@smithy/types";
import { callScope, type OpKind } from "./fault-injector.ts";
import { rngFor } from "./seed.ts";

/**
 * Errors real DynamoDB returns that DynamoDB Local never does (DESIGN §5):
 * - a single-item write (UpdateItem, PutItem, DeleteItem) on an item an in-flight
 *   TransactWriteItems touches fails with TransactionConflictException (HTTP 400, which the SDK
 *   does not retry);
 * - a transaction (TransactWriteItems, TransactGetItems) is cancelled with
 *   TransactionCanceledException whose CancellationReasons say TransactionConflict or
 *   ThrottlingError (not only ConditionalCheckFailed);
 * - any call is throttled (ThrottlingException, ProvisionedThroughputExceededException), even on
 *   on-demand tables, on a hot partition.
 * They are answered on the wire, in place of DynamoDB Local's answer: the request never reaches the
 * emulator (these errors write nothing), and the SDK's own deserializer and retry strategy see an
 * HTTP 400 with the service's error body, so whether they are retried is the SDK's real decision.
 */
export type DynamoWireError =
  | "TransactionConflictException"
  | "ThrottlingException"
  | "ProvisionedThroughputExceededException"
  | "TransactionCanceled:TransactionConflict"
  | "TransactionCanceled:ThrottlingError";

const SINGLE_ITEM_WRITES = new Set(["UpdateItem", "PutItem", "DeleteItem"]);
const TRANSACTIONS = new Set(["TransactWriteItems", "TransactGetItems"]);

/** Which requests each error can answer: the service raises it only for those. */
function answers(error: DynamoWireError, operation: string): boolean {
  if (error === "TransactionConflictException") return SINGLE_ITEM_WRITES.has(operation);
  if (error.startsWith("TransactionCanceled:")) return TRANSACTIONS.has(operation);
  return true;
}

export interface WireCall {
  /** The runtime port call the request serves ("other" outside one). */
  op: OpKind;
  /** The DynamoDB operation ("UpdateItem"). */
  operation: string;
  /** 1 for the first attempt, 2 for the SDK's first retry… */
  attempt: number;
  /** Shared by every attempt of one command (amz-sdk-invocation-id). */
  invocationId: string;
  /** The request body. */
  input: Record<string, unknown>;
}

export interface WireFaultRule {
  error: DynamoWireError;
  /** Share of the matching requests answered with the error. */
  rate: number;
  /** Only requests serving these runtime calls (default: all). */
  ops?: readonly OpKind[];
  /** Only these DynamoDB operations (default: every one the error applies to). */
  operations?: readonly string[];
  when?: (call: WireCall) => boolean;
  /** Stop after this many. */
  limit?: number;
}

export interface WireEvent {
  error: DynamoWireError;
  op: OpKind;
  operation: string;
  attempt: number;
  invocationId: string;
}

interface Handler {
  handle(request: HttpRequest, options?: unknown): Promise<{ response: HttpResponse }>;
}

/** The DynamoDB errors above, injected into one client's HTTP handler. */
export class DynamoWireFaults {
  /** Every error answered, in order. */
  readonly events: WireEvent[] = [];
  /** Every request that reached the wire (answered by a fault or sent on). */
  readonly requests: WireCall[] = [];
  enabled = true;
  #fired = new Map<WireFaultRule, number>();
  #streams = new Map<string, () => number>();

  constructor(
    private readonly label: string,
    private readonly rules: readonly WireFaultRule[],
    private readonly seed: number,
  ) {}

  /** Puts the faults between the client and its HTTP handler (the SDK reads the handler on every send). */
  install(client: DynamoDBClient): void {
    const config = client.config as unknown as { requestHandler: Handler };
    const inner = config.requestHandler;
    config.requestHandler = {
      handle: async (request, options) => {
        const answer = this.#decide(request);
        return answer ? { response: answer } : inner.handle(request, options);
      },
    };
  }

  /** Injected errors the SDK sent again: an error whose invocation had a later attempt. */
  retried(error: DynamoWireError): WireEvent[] {
    return this.events.filter(
      (e) =>
        e.error === error &&
        this.requests.some((r) => r.invocationId === e.invocationId && r.attempt > e.attempt),
    );
  }

  count(error: DynamoWireError): number {
    return this.events.filter((e) => e.error === error).length;
  }

  #decide(request: HttpRequest): HttpResponse | undefined {
    const target = request.headers["x-amz-target"] ?? "";
    const operation = target.slice(target.indexOf(".") + 1);
    const attempt = Number(/attempt=(\d+)/.exec(request.headers["amz-sdk-request"] ?? "")?.[1] ?? 1);
    const call: WireCall = {
      op: callScope.getStore()?.op ?? "other",
      operation,
      attempt,
      invocationId: request.headers["amz-sdk-invocation-id"] ?? "",
      input: parseBody(request.body),
    };
    this.requests.push(call);
    if (!this.enabled) return undefined;
    for (const rule of this.rules) {
      if (!answers(rule.error, operation)) continue;
      if (rule.operations && !rule.operations.includes(operation)) continue;
      if (rule.ops && !rule.ops.includes(call.op)) continue;
      if (rule.when && !rule.when(call)) continue;
      // Drawn for every matching request, even over the limit, so later decisions do not shift.
      const hit = this.#stream(`${call.op}/${operation}`)() < rule.rate;
      const fired = this.#fired.get(rule) ?? 0;
      if (!hit || (rule.limit !== undefined && fired >= rule.limit)) continue;
      this.#fired.set(rule, fired + 1);
      this.events.push({
        error: rule.error,
        op: call.op,
        operation,
        attempt,
        invocationId: call.invocationId,
      });
      return errorResponse(rule.error, call, this.#stream(`${call.op}/${operation}/reason`));
    }
    return undefined;
  }

  #stream(key: string): () => number {
    let stream = this.#streams.get(key);
    if (!stream) {
      stream = rngFor(this.seed, `${this.label}/wire/${key}`);
      this.#streams.set(key, stream);
    }
    return stream;
  }
}

function parseBody(body: unknown): Record<string, unknown> {
  const text =
    typeof body === "string" ? body : body instanceof Uint8Array ? new TextDecoder().decode(body) : "";
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The body and headers DynamoDB answers with (AWS JSON 1.0 protocol). */
function errorResponse(error: DynamoWireError, call: WireCall, random: () => number): HttpResponse {
  let type: string;
  let body: Record<string, unknown>;
  if (error.startsWith("TransactionCanceled:")) {
    const code = error.slice("TransactionCanceled:".length);
    // One reason per item of the request, in order; one of them is the cause, the others "None".
    const items = Array.isArray(call.input.TransactItems) ? call.input.TransactItems.length : 1;
    const culprit = Math.floor(random() * items);
    const reasons = Array.from({ length: items }, (_, i) =>
      i === culprit
        ? {
            Code: code,
            Message:
              code === "TransactionConflict"
                ? "Transaction is ongoing for the item"
                : "Throughput exceeds the current capacity for one or more global secondary indexes",
          }
        : { Code: "None" },
    );
    type = "TransactionCanceledException";
    body = {
      message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(", ")}]`,
      CancellationReasons: reasons,
    };
  } else {
    type = error;
    body = {
      message:
        error === "TransactionConflictException"
          ? "Transaction is ongoing for the item"
          : error === "ThrottlingException"
            ? "Rate of requests exceeds the allowed throughput."
            : "The level of configured provisioned throughput for the table was exceeded.",
    };
  }
  return {
    statusCode: 400,
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "x-amzn-requestid": `injected-${Math.floor(random() * 1e9)}`,
    },
    body: new TextEncoder().encode(
      JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, ...body }),
    ),
  };
}
