import { PayloadTooLargeError } from "../../runtime/core/errors.ts";
import { formatBytes } from "../../runtime/core/json.ts";
import { LIMITS } from "../../runtime/core/limits.ts";

/** A sync call's input may reach 6 MB as compact JSON; the body may carry some whitespace on top. */
export const MAX_BODY_BYTES = LIMITS.syncPayloadBytes + 64 * 1024;
/** Past this, a refused body is not read to its end: the connection is closed instead. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * Reads a request body up to MAX_BODY_BYTES. A larger one is refused with PayloadTooLargeError
 * (a JSON 413, where Bun's own limit answered with an empty body); a body of a sane size is read
 * to its end first, so the client is still listening when the answer comes.
 */
export async function readBody(request: Request): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > MAX_BODY_BYTES) {
    if (declared <= MAX_DRAIN_BYTES) await drain(request.body);
    throw tooLarge(declared);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    for await (const chunk of request.body) {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) throw tooLarge(size, "at least ");
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooLarge(size: number, qualifier = ""): PayloadTooLargeError {
  return new PayloadTooLargeError(
    `request body is ${qualifier}${formatBytes(size)}, over the ${formatBytes(MAX_BODY_BYTES)} a sync call can carry`,
    {
      hint: "send a smaller payload (6 MB sync, 1 MiB async), or store large data elsewhere and pass a reference",
      details: { size, limit: MAX_BODY_BYTES },
    },
  );
}

async function drain(body: ReadableStream<Uint8Array> | null): Promise<void> {
  if (!body) return;
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > MAX_DRAIN_BYTES) break;
  }
}
