import { CliError } from "../errors.ts";

/** A request path whose percent-encoding does not decode (e.g. `/actors/%E0%A4%A`). */
export class InvalidUrlError extends CliError {
  constructor(path: string, cause: unknown) {
    super("INVALID_URL", `the path ${JSON.stringify(path)} is not a valid URL path`, {
      hint: "percent-encode actor ids and handler names, e.g. with encodeURIComponent",
      cause,
    });
  }
}
