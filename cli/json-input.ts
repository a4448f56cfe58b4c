// node:fs, not node:fs/promises: that one costs Bun a few ms to load, on every invoke.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type JsonValue, parseJson } from "../runtime/core/json.ts";
import type { CliContext } from "./context.ts";
import { CliError, UsageError } from "./errors.ts";

/**
 * A JSON option's value: inline JSON, `@file` to read a file, or `-` to read standard input. A
 * shell refuses arguments past ~128 KB, so files and stdin are how the 6 MB and 1 MiB payload
 * limits are reached; those limits are checked where the payload is sent, with the same errors.
 * @example await readJsonInput("@order.json", "--data", ctx)
 */
export async function readJsonInput(
  value: string,
  option: string,
  ctx: Pick<CliContext, "cwd" | "stdin">,
): Promise<JsonValue> {
  if (value === "-") {
    if (!ctx.stdin)
      throw new UsageError(`${option} - needs standard input`, "pass the JSON inline or as @file");
    return parseJson(await ctx.stdin(), `${option} - (standard input)`);
  }
  if (value.startsWith("@")) {
    const path = resolve(ctx.cwd, value.slice(1));
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (cause) {
      throw new CliError(
        "DATA_FILE_UNREADABLE",
        `cannot read ${option} ${value}: ${(cause as Error).message}`,
        {
          hint: "give the path of a JSON file after @, relative to this directory",
          cause,
        },
      );
    }
    return parseJson(text, `${option} ${value}`);
  }
  return parseJson(value, option);
}
