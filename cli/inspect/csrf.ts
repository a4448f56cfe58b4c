import { randomBytes, timingSafeEqual } from "node:crypto";
import { CliError } from "../errors.ts";

/** A token for one server's life: only a page this server served (same origin) can read it. */
export function newCsrfToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * Refuses a state-changing request that does not carry this server's token, or whose body is not
 * declared JSON (a cross-site form can send neither: the header needs a CORS preflight, which the
 * server never grants).
 */
export function checkCsrf(request: Request, token: string): void {
  const sent = Buffer.from(request.headers.get("x-csrf-token") ?? "");
  const expected = Buffer.from(token);
  if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
    throw new CliError("CSRF_REFUSED", "the request does not carry this inspector's CSRF token", {
      hint: "state-changing requests come from the inspector page itself; reload it to get a fresh token",
    });
  }
  if (!/^application\/json\b/i.test(request.headers.get("content-type") ?? "")) {
    throw new CliError("CSRF_REFUSED", "the request body is not declared as application/json", {
      hint: "send the body with content-type: application/json",
    });
  }
}
