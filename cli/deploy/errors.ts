import { CliError } from "../errors.ts";

/**
 * The deploy module's user errors. Each is one line in main.ts: what happened, why, what to do.
 * Codes are stable so scripts using --json can tell them apart from the exit code alone.
 */
const LOCAL_WORK = "for local work use `durable dev`, which needs no AWS account";

export class MissingCredentialsError extends CliError {
  /** `regionMissing`: nothing names a region either, so the one line asks for both at once. */
  constructor(regionMissing: boolean) {
    const region = regionMissing ? ", and AWS_REGION" : "";
    super("AWS_CREDENTIALS_MISSING", "no AWS credentials found", {
      hint: `set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY${region}; ${LOCAL_WORK}`,
    });
  }
}

export class MissingRegionError extends CliError {
  constructor() {
    super("AWS_REGION_MISSING", "no AWS region set", {
      hint: `set AWS_REGION (or aws.region in durable.config.ts); ${LOCAL_WORK}`,
    });
  }
}

export class CredentialsRejectedError extends CliError {
  constructor(reason: string, cause: unknown) {
    super("AWS_CREDENTIALS_REJECTED", `AWS did not accept the credentials: ${reason}`, {
      hint: "check AWS_PROFILE or the access keys (an expired SSO session needs `aws sso login`)",
      cause,
    });
  }
}

export class ConfirmationRequiredError extends CliError {
  constructor(what: string) {
    super("CONFIRMATION_REQUIRED", `${what} needs confirmation and there is no terminal to ask on`, {
      hint: "pass --yes to confirm",
    });
  }
}

export class DeclinedError extends CliError {
  constructor(what: string) {
    super("DECLINED", `${what} was not confirmed; nothing changed`);
  }
}

export class EndpointMismatchError extends CliError {
  constructor(stage: string, recorded: string | undefined, current: string | undefined) {
    const where = (endpoint: string | undefined) =>
      endpoint ? `AWS_ENDPOINT_URL=${endpoint}` : "AWS itself (no AWS_ENDPOINT_URL)";
    super(
      "STAGE_ENDPOINT_MISMATCH",
      `stage ${stage} was deployed to ${where(recorded)}, but this command would act on ${where(current)}`,
      {
        hint: recorded ? `set AWS_ENDPOINT_URL=${recorded}` : "unset AWS_ENDPOINT_URL",
      },
    );
  }
}

export class DeployFailedError extends CliError {
  constructor(stackName: string, reason: string, cause: unknown) {
    super("DEPLOY_FAILED", `deploying ${stackName} failed: ${reason}`, {
      hint: "fix the cause and run durable deploy again (CloudFormation rolled the stack back)",
      cause,
    });
  }
}

export class DestroyFailedError extends CliError {
  constructor(stackName: string, reason: string, cause: unknown) {
    super("DESTROY_FAILED", `destroying ${stackName} failed: ${reason}`, {
      hint: "fix the cause (often a resource changed outside CloudFormation) and run durable destroy again",
      cause,
    });
  }
}

export class KeptResourcesNotAdoptedError extends CliError {
  constructor(stage: string, kept: string, reason: string, cause?: unknown) {
    super(
      "KEPT_RESOURCES_NOT_ADOPTED",
      `stage ${stage} was destroyed but kept ${kept}; they cannot be adopted into a new stack: ${reason}; nothing was changed`,
      {
        hint: `durable destroy --stage ${stage} --delete-data deletes them with their data; durable deploy --stage ${stage} then starts the stage anew`,
        cause,
      },
    );
  }
}

export function firstLineOf(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return text.split("\n", 1)[0]?.trim() || "unknown error";
}
