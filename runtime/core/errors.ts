import type { SerializedError } from "../ports/values.ts";

export type { SerializedError } from "../ports/values.ts";
/**
 * Every error the runtime raises carries a stable `code`, so callers (the CLI, HTTP API,
 * Lambda entry) can map it without parsing messages. `userFacing` errors are the caller's
 * mistake or an expected condition; anything else is a bug and keeps its stack.
 */
export type DurableErrorCode =
  | "INVALID_ACTOR_ID"
  | "INVALID_JSON"
  | "UNSAFE_JSON_KEY"
  | "JSON_TOO_DEEP"
  | "PAYLOAD_TOO_LARGE"
  | "STATE_TOO_LARGE"
  | "UNKNOWN_ACTOR"
  | "UNKNOWN_HANDLER"
  | "INVALID_INPUT"
  | "VERSION_CONFLICT"
  | "LEASE_HELD"
  | "LEASE_LOST"
  | "LEASE_TIMEOUT"
  | "CALL_CYCLE"
  | "ACTOR_PARKED"
  | "HANDLER_FAILED"
  | "DEADLINE_EXCEEDED"
  | "NOT_SERIALIZABLE"
  | "STORE_UNAVAILABLE"
  | "STORE_BUSY"
  | "DELIVERIES_EXHAUSTED"
  | "RELAY_FAILED"
  | "SCHEMA_TOO_NEW"
  | "MIGRATION_FAILED";

export interface DurableErrorOptions {
  cause?: unknown;
  /** A hint that says what to do about it. */
  hint?: string;
  details?: Record<string, unknown>;
}

export class DurableError extends Error {
  readonly code: DurableErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown>;
  /** True when the error is the caller's input or an expected condition, not a bug. */
  readonly userFacing: boolean = true;

  constructor(code: DurableErrorCode, message: string, options: DurableErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }

  toJSON(): SerializedError {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      hint: this.hint,
      details: this.details,
    };
  }
}

export class InvalidActorIdError extends DurableError {
  constructor(message: string, options?: DurableErrorOptions) {
    super("INVALID_ACTOR_ID", message, options);
  }
}
export class InvalidJsonError extends DurableError {
  constructor(message: string, options?: DurableErrorOptions) {
    super("INVALID_JSON", message, options);
  }
}
export class UnsafeJsonKeyError extends DurableError {
  constructor(message: string, options?: DurableErrorOptions) {
    super("UNSAFE_JSON_KEY", message, options);
  }
}
export class JsonTooDeepError extends DurableError {
  constructor(message: string, options?: DurableErrorOptions) {
    super("JSON_TOO_DEEP", message, options);
  }
}
export class PayloadTooLargeError extends DurableError {
  constructor(message: string, options?: DurableErrorOptions) {
    super("PAYLOAD_TOO_LARGE", message, options);
  }
}
export class StateTooLargeError extends DurableError {
  constructor(message: string, options?: DurableErrorOptions) {
    super("STATE_TOO_LARGE", message, options);
  }
}
export class UnknownActorError extends DurableError {
  constructor(message: string, options?: DurableErrorOptions) {
    super("UNKNOWN_ACTOR", message, options);
  }
}
export class UnknownHandlerError extends DurableError {
  constructor(message: string, options?: DurableErrorOptions) {
    super("UNKNOWN_HANDLER", message, options);
  }
}
export class InvalidInputError extends DurableError {
  constructor(message: string, options?: DurableErrorOptions) {
    super("INVALID_INPUT", message, options);
  }
}
/** The stored version moved since it was loaded: another writer committed first. */
export class VersionConflictError extends DurableError {
  constructor(message: string, options?: DurableErrorOptions) {
    super("VERSION_CONFLICT", message, options);
  }
}
/** Another owner holds an unexpired lease on the actor. */
export class LeaseHeldError extends DurableError {
  constructor(message: string, options?: DurableErrorOptions) {
    super("LEASE_HELD", message, options);
  }
}
/** The lease this turn holds was taken over (a newer epoch exists): the turn must not commit. */
export class LeaseLostError extends DurableError {
  constructor(message: string, options?: DurableErrorOptions) {
    super("LEASE_LOST", message, options);
  }
}
export class LeaseTimeoutError extends DurableError {
  constructor(message: string, options?: DurableErrorOptions) {
    super("LEASE_TIMEOUT", message, options);
  }
}
export class CallCycleError extends DurableError {
  constructor(message: string, options?: DurableErrorOptions) {
    super("CALL_CYCLE", message, options);
  }
}
export class ActorParkedError extends DurableError {
  constructor(message: string, options?: DurableErrorOptions) {
    super("ACTOR_PARKED", message, options);
  }
}
/** The user's handler threw. The original error is the cause; nothing of the turn was committed. */
export class HandlerFailedError extends DurableError {
  constructor(message: string, options?: DurableErrorOptions) {
    super("HANDLER_FAILED", message, options);
  }
}
export class DeadlineExceededError extends DurableError {
  constructor(message: string, options?: DurableErrorOptions) {
    super("DEADLINE_EXCEEDED", message, options);
  }
}
export class NotSerializableError extends DurableError {
  constructor(message: string, options?: DurableErrorOptions) {
    super("NOT_SERIALIZABLE", message, options);
  }
}
/** A backend could not be reached or answered ambiguously; the turn may or may not have committed. */
export class StoreUnavailableError extends DurableError {
  override readonly userFacing = false;
  constructor(message: string, options?: DurableErrorOptions) {
    super("STORE_UNAVAILABLE", message, options);
  }
}
/** The store refused a write for now (throttled, or a concurrent transaction): nothing was written. */
export class StoreBusyError extends DurableError {
  override readonly userFacing = false;
  constructor(message: string, options?: DurableErrorOptions) {
    super("STORE_BUSY", message, options);
  }
}
/**
 * A queued message came back after its last permitted delivery failed outside any handler (the
 * process crashed, or the turn could not commit its parking): the actor parks on it unrun.
 */
export class DeliveriesExhaustedError extends DurableError {
  constructor(message: string, options?: DurableErrorOptions) {
    super("DELIVERIES_EXHAUSTED", message, options);
  }
}
export class RelayFailedError extends DurableError {
  override readonly userFacing = false;
  constructor(message: string, options?: DurableErrorOptions) {
    super("RELAY_FAILED", message, options);
  }
}

/**
 * The stored record was written by a newer schema of its actor type than this code knows (a
 * rollback): nothing was run and nothing was written.
 */
export class SchemaTooNewError extends DurableError {
  constructor(message: string, options?: DurableErrorOptions) {
    super("SCHEMA_TOO_NEW", message, options);
  }
}
/** A state migration threw or returned something that is not a JSON object; `details.migration` names it. */
export class MigrationFailedError extends DurableError {
  constructor(message: string, options?: DurableErrorOptions) {
    super("MIGRATION_FAILED", message, options);
  }
}

const byCode: Record<string, new (message: string, options?: DurableErrorOptions) => DurableError> = {
  INVALID_ACTOR_ID: InvalidActorIdError,
  INVALID_JSON: InvalidJsonError,
  UNSAFE_JSON_KEY: UnsafeJsonKeyError,
  JSON_TOO_DEEP: JsonTooDeepError,
  PAYLOAD_TOO_LARGE: PayloadTooLargeError,
  STATE_TOO_LARGE: StateTooLargeError,
  UNKNOWN_ACTOR: UnknownActorError,
  UNKNOWN_HANDLER: UnknownHandlerError,
  INVALID_INPUT: InvalidInputError,
  VERSION_CONFLICT: VersionConflictError,
  LEASE_HELD: LeaseHeldError,
  LEASE_LOST: LeaseLostError,
  LEASE_TIMEOUT: LeaseTimeoutError,
  CALL_CYCLE: CallCycleError,
  ACTOR_PARKED: ActorParkedError,
  HANDLER_FAILED: HandlerFailedError,
  DEADLINE_EXCEEDED: DeadlineExceededError,
  NOT_SERIALIZABLE: NotSerializableError,
  STORE_UNAVAILABLE: StoreUnavailableError,
  STORE_BUSY: StoreBusyError,
  DELIVERIES_EXHAUSTED: DeliveriesExhaustedError,
  RELAY_FAILED: RelayFailedError,
  SCHEMA_TOO_NEW: SchemaTooNewError,
  MIGRATION_FAILED: MigrationFailedError,
};

/** Rebuilds a typed error from its JSON form (an HTTP body, a Lambda response, a stored marker). */
export function errorFromJSON(value: SerializedError): DurableError {
  const Ctor = byCode[value.code];
  const options: DurableErrorOptions = { details: value.details ?? {} };
  if (value.hint !== undefined) options.hint = value.hint;
  if (Ctor) return new Ctor(value.message, options);
  return new HandlerFailedError(value.message, options);
}

/** Wraps anything thrown into a DurableError, keeping the original as the cause. */
export function toDurableError(error: unknown): DurableError {
  if (error instanceof DurableError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new HandlerFailedError(message, { cause: error });
}
