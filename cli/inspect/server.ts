import type { Server } from "bun";
import { errorResponse } from "../dev/http-errors.ts";
import { refuseNonLocal } from "../dev/loopback-guard.ts";
import { IDLE_TIMEOUT_SECONDS } from "../dev/server.ts";
import type { InspectorHandler } from "./api.ts";

export interface InspectorServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * `durable inspect`'s own server: 127.0.0.1 only, the dev API's Host/Origin checks on every
 * request, and the inspector's routes (which add the CSRF check on every change).
 */
export function startInspectorServer(port: number, handle: InspectorHandler): InspectorServer {
  let bound = port;
  const server: Server<undefined> = Bun.serve({
    hostname: "127.0.0.1",
    port,
    idleTimeout: IDLE_TIMEOUT_SECONDS,
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    fetch: async (request) => {
      const refusal = refuseNonLocal(request, bound);
      if (refusal) {
        return errorResponse({
          code: "FORBIDDEN_HOST",
          message: refusal,
          hint: "durable inspect answers only requests from this machine to 127.0.0.1 or localhost",
        });
      }
      try {
        const url = new URL(request.url);
        const answer = await handle(request, url, () => server.timeout(request, 0));
        return (
          answer ??
          errorResponse({
            code: "NOT_FOUND",
            message: `no route ${request.method} ${url.pathname}`,
            hint: "open / for the inspector page",
          })
        );
      } catch (error) {
        return errorResponse(error);
      }
    },
  });
  bound = server.port ?? port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    stop: () => server.stop(true),
  };
}
