import { DurableError, RelayFailedError, StoreBusyError, StoreUnavailableError } from "../../core/errors.ts";

/** What the SDK puts on a service error; network errors carry only `name`/`code`. */
interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "TooManyRequestsException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "AWS.SimpleQueueService.RequestThrottled",
  "KMSThrottlingException",
]);

const NETWORK = new Set([
  "TimeoutError",
  "AbortError",
  "RequestTimeout",
  "RequestTimeoutException",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ConnectionRefused",
]);

export function errorName(error: unknown): string {
  if (typeof error !== "object" || error === null) return "";
  const shape = error as SdkErrorShape;
  return typeof shape.name === "string" ? shape.name : "";
}

export function isErrorNamed(error: unknown, ...names: string[]): boolean {
  const name = errorName(error);
  return names.some((candidate) => name === candidate || name.endsWith(`.${candidate}`));
}

/**
 * True for errors worth retrying later: throttling, 5xx and network failures. The outcome of such a
 * call is unknown (a write may or may not have happened), which is what StoreUnavailableError says.
 */
export function isTransient(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const shape = error as SdkErrorShape;
  const name = errorName(error);
  const code = typeof shape.code === "string" ? shape.code : "";
  if (THROTTLING.has(name) || NETWORK.has(name) || NETWORK.has(code)) return true;
  if (shape.$fault === "server" || shape.$retryable !== undefined) return true;
  const status = shape.$metadata?.httpStatusCode;
  if (typeof status === "number" && status >= 500) return true;
  // fetch-style failures ("fetch failed", "socket hang up") arrive as plain Errors or TypeErrors.
  return error instanceof Error && /socket hang up|fetch failed|ECONNREFUSED|ECONNRESET/i.test(error.message);
}

/**
 * Storage calls: a transaction conflict that outlasted its retries becomes StoreBusyError (nothing
 * was written); other transient failures StoreUnavailableError (whether a write happened is not
 * known); anything else (a bug, a missing table) passes through.
 */
export function storeError(error: unknown, what: string): unknown {
  if (error instanceof DurableError) return error;
  if (isErrorNamed(error, "TransactionConflictException")) {
    return new StoreBusyError(`${what} kept meeting a concurrent transaction: ${describe(error)}`, {
      hint: "nothing was written; the turn is retried",
      cause: error,
    });
  }
  if (!isTransient(error)) return error;
  return new StoreUnavailableError(`${what} failed: ${describe(error)}`, {
    hint: "DynamoDB is throttling or unreachable, and whether the write happened is unknown: retry with the same message id (it is applied once); a call without an id could be applied twice",
    cause: error,
  });
}

/** Attempts and longest backoff for a single-item write that meets a transaction on its item. */
const CONFLICT_ATTEMPTS = 6;

/**
 * Runs a single-item write again when DynamoDB refuses it with TransactionConflictException (a
 * transaction on the same item is in flight; HTTP 400, which the SDK does not retry), with jittered
 * exponential backoff: about 5, 10, 20, 40, 80 ms, well within a lease wait.
 */
export async function retryConflicts<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!isErrorNamed(error, "TransactionConflictException") || attempt >= CONFLICT_ATTEMPTS) throw error;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.round(5 * 2 ** (attempt - 1) * (0.5 + Math.random()))),
      );
    }
  }
}

/** Relay calls (queue, scheduler, bus): every failure leaves the outbox in place, to be relayed again. */
export function relayError(error: unknown, what: string): DurableError {
  if (error instanceof DurableError) return error;
  return new RelayFailedError(`${what} failed: ${describe(error)}`, {
    hint: "the committed outbox is kept and relayed again by the next turn",
    cause: error,
  });
}

export function describe(error: unknown): string {
  const name = errorName(error);
  const message = error instanceof Error ? error.message : String(error);
  return name && !message.startsWith(name) ? `${name}: ${message}` : message;
}
