/** HTTP status for each runtime error code; anything unknown is a 500. */
const STATUS: Record<string, number> = {
  INVALID_ACTOR_ID: 400,
  INVALID_JSON: 400,
  UNSAFE_JSON_KEY: 400,
  JSON_TOO_DEEP: 400,
  INVALID_INPUT: 400,
  NOT_SERIALIZABLE: 400,
  PAYLOAD_TOO_LARGE: 413,
  STATE_TOO_LARGE: 413,
  UNKNOWN_ACTOR: 404,
  UNKNOWN_HANDLER: 404,
  ACTOR_NOT_FOUND: 404,
  CALL_CYCLE: 409,
  ACTOR_PARKED: 409,
  VERSION_CONFLICT: 409,
  LEASE_HELD: 503,
  LEASE_TIMEOUT: 503,
  STORE_UNAVAILABLE: 503,
  HANDLER_FAILED: 500,
  INVALID_URL: 400,
  FORBIDDEN_HOST: 403,
  CSRF_REFUSED: 403,
  CONFIRMATION_REQUIRED: 428,
  NOT_PARKED: 409,
  FLEET_INDEX_MISSING: 503,
  STAGE_FILE_OUTDATED: 409,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
};

interface ErrorShape {
  name?: string;
  code?: string;
  message?: string;
  hint?: string;
}

/** Every refusal of the dev server: `{ error: { name, code, message, hint? } }` with the code's status. */
export function errorResponse(error: unknown): Response {
  const e = (error ?? {}) as ErrorShape;
  const code = typeof e.code === "string" ? e.code : "INTERNAL";
  const body = {
    error: {
      name: e.name ?? "Error",
      code,
      message: e.message ?? String(error),
      ...(e.hint ? { hint: e.hint } : {}),
    },
  };
  const status = STATUS[code] ?? 500;
  // A refused body may still be arriving: closing the connection is how to refuse the rest of it.
  return Response.json(body, { status, ...(status === 413 ? { headers: { connection: "close" } } : {}) });
}
