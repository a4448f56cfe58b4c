/**
 * Errors raised while building the fabric. They are the caller's configuration mistakes, so the
 * CLI prints them as one line (message + hint) instead of a stack.
 */
export type InfraErrorCode = "INVALID_FABRIC_CONFIG" | "MISSING_BUNDLE";

export interface InfraErrorOptions {
  cause?: unknown;
  /** What to do about it. */
  hint?: string;
}

export class InfraError extends Error {
  readonly code: InfraErrorCode;
  readonly hint: string | undefined;
  readonly userFacing = true;

  constructor(code: InfraErrorCode, message: string, options: InfraErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

export class FabricConfigError extends InfraError {
  constructor(message: string, options?: InfraErrorOptions) {
    super("INVALID_FABRIC_CONFIG", message, options);
  }
}

export class MissingBundleError extends InfraError {
  constructor(message: string, options?: InfraErrorOptions) {
    super("MISSING_BUNDLE", message, options);
  }
}
