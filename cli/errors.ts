/**
 * A mistake the user can fix: main.ts prints it as one line (what, why, what to do) and exits 1.
 * Anything else that escapes a command is a bug and is printed with its stack.
 */
export class CliError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  /** Recognised by shape like the runtime's errors, so main.ts needs no import to report it. */
  readonly userFacing = true;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CliError";
    this.code = code;
    this.hint = options.hint;
  }
}

export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super("USAGE", message, hint === undefined ? {} : { hint });
  }
}

export class ProjectNotFoundError extends CliError {
  constructor(cwd: string) {
    super("PROJECT_NOT_FOUND", `no durable.config.ts in ${cwd} or its parents`, {
      hint: "run this inside a project, or create one with `durable init --template counter`",
    });
  }
}

export class ConfigError extends CliError {
  constructor(message: string, hint?: string) {
    super("CONFIG", message, hint === undefined ? {} : { hint });
  }
}
