import { InvalidInputError } from "../runtime/core/errors.ts";

/** The Lambda entry refuses ids over 512 characters; the CLI and `durable dev` refuse the same. */
export const MAX_MESSAGE_ID_LENGTH = 512;
const PRINTABLE = /^[\x20-\x7E]+$/;

/**
 * An idempotency key given by a caller (`--id`, the `Idempotency-Key` header), checked before
 * anything runs: 1-512 printable ASCII characters.
 * @example checkMessageId("order-7-pay", "--id")
 */
export function checkMessageId(id: string, what: string): string {
  if (id.length === 0 || id.length > MAX_MESSAGE_ID_LENGTH || !PRINTABLE.test(id)) {
    throw new InvalidInputError(
      `${what} must be 1-${MAX_MESSAGE_ID_LENGTH} printable ASCII characters (got ${id.length} characters)`,
      { hint: "use a short unique key such as a UUID or order-7-pay" },
    );
  }
  return id;
}
