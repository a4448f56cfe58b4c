import type { Server } from "bun";
import type { LocalPorts } from "../../runtime/adapters/local/index.ts";
import type { Fabric } from "../../runtime/core/fabric.ts";
import { parseJson } from "../../runtime/core/json.ts";
import { assertActorId } from "../../runtime/core/limits.ts";
import type { InspectorHandler } from "../inspect/api.ts";
import { checkMessageId } from "../message-id.ts";
import { recordView, withIsoTime } from "../views.ts";
import { InvalidUrlError } from "./errors.ts";
import { errorResponse } from "./http-errors.ts";
import { refuseNonLocal } from "./loopback-guard.ts";
import { readBody } from "./request-body.ts";
import { VersionFeed } from "./version-feed.ts";

export interface DevServerOptions {
  port: number;
  ports: LocalPorts;
  /** The current fabric; it changes when actors reload. */
  fabric: () => Fabric;
  /** The inspector page and its API, served at `/` (see cli/inspect/api.ts). */
  inspector?: InspectorHandler;
}

export interface DevServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const ROUTE = /^\/actors\/([^/]+)(?:\/([^/]+))?\/?$/;
const STATE_ROUTE = /^\/actors\/([^/]+)\/state\/?$/;
/**
 * A connection that sends nothing for this long is closed, whether it stalls in its headers, in
 * its body or between requests. A request whose body has arrived is exempt while its handler runs.
 */
export const IDLE_TIMEOUT_SECONDS = 10;

/**
 * The dev fabric's HTTP API on 127.0.0.1:
 *   POST /actors/:id/:handler     sync call (body: JSON input) → 200 { result, version, messageId, ... }
 *   POST /actors/:id/:handler?mode=async (or Prefer: respond-async) → 202 { messageId }
 *   GET  /actors/:id/state        the committed record (times in ISO 8601)
 *   GET  /actors                  every actor with its version
 *   GET  /events[?actor=id]       server-sent events, one per committed version
 *   GET  /                        the inspector page (and its /inspector/* files and /api/* routes)
 * Every refusal is `{ error: { code, message, hint } }`.
 */
export function startDevServer(options: DevServerOptions): DevServer {
  const feed = new VersionFeed(options.ports.store);
  let port = options.port;
  const server: Server<undefined> = Bun.serve({
    hostname: "127.0.0.1",
    port: options.port,
    idleTimeout: IDLE_TIMEOUT_SECONDS,
    // The body limit is applied by readBody, which answers in JSON; Bun's own answers an empty 413.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    fetch: async (request) => {
      const refusal = refuseNonLocal(request, port);
      if (refusal) {
        return errorResponse({
          code: "FORBIDDEN_HOST",
          message: refusal,
          hint: "durable dev answers only requests from this machine to 127.0.0.1 or localhost",
        });
      }
      try {
        return await route(request, options, feed, (seconds) => server.timeout(request, seconds));
      } catch (error) {
        return errorResponse(error);
      }
    },
  });
  port = server.port ?? options.port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async stop() {
      feed.close();
      await server.stop(true);
    },
  };
}

async function route(
  request: Request,
  options: DevServerOptions,
  feed: VersionFeed,
  setTimeout: (seconds: number) => void,
): Promise<Response> {
  const url = new URL(request.url);
  const path = url.pathname;
  if (request.method === "GET" && path === "/health") return Response.json({ ok: true });
  if (request.method === "GET" && path === "/actors") {
    const actors = await options.ports.store.listActors();
    return Response.json(actors.map((a) => withIsoTime(a, "updatedAt")));
  }
  if (request.method === "GET" && path === "/events") {
    setTimeout(0); // a stream is quiet between versions
    return feed.stream(url.searchParams.get("actor") ?? undefined, request.signal);
  }
  const state = STATE_ROUTE.exec(path);
  if (request.method === "GET" && state) {
    const actorId = decode(state[1] ?? "", path);
    assertActorId(actorId);
    const record = await options.ports.store.read(actorId);
    if (!record) return errorResponse({ code: "ACTOR_NOT_FOUND", message: `${actorId} has no state yet` });
    return Response.json(recordView(record));
  }
  const call = ROUTE.exec(path);
  if (call && request.method === "POST") {
    const actorId = decode(call[1] ?? "", path);
    const handler = call[2] === undefined ? undefined : decode(call[2], path);
    const key = request.headers.get("idempotency-key");
    const messageId = key === null ? undefined : checkMessageId(key, "the Idempotency-Key header");
    const text = await readBody(request);
    setTimeout(0); // the request is in; a handler may take longer than the idle timeout
    const input = text.trim() === "" ? undefined : parseJson(text, "request body");
    const async =
      url.searchParams.get("mode") === "async" || /respond-async/i.test(request.headers.get("prefer") ?? "");
    // Without an Idempotency-Key the fabric generates the message id and answers it as messageId.
    const response = await options.fabric().invoke({
      actorId,
      handler,
      actorType: url.searchParams.get("actor") ?? undefined,
      input: input ?? undefined,
      mode: async ? "async" : "sync",
      messageId,
    });
    return Response.json(response, { status: async ? 202 : 200 });
  }
  const inspected = await options.inspector?.(request, url, () => setTimeout(0));
  if (inspected) return inspected;
  if (call || state) {
    return errorResponse({
      code: "METHOD_NOT_ALLOWED",
      message: `${request.method} ${path} is not supported`,
      hint: "POST /actors/:id/:handler calls a handler; GET /actors/:id/state reads the state",
    });
  }
  return errorResponse({
    code: "NOT_FOUND",
    message: `no route ${request.method} ${path}`,
    hint: "the routes are POST /actors/:id/:handler, GET /actors/:id/state, GET /actors, GET /events; the inspector is at /",
  });
}

function decode(segment: string, path: string): string {
  try {
    return decodeURIComponent(segment);
  } catch (cause) {
    throw new InvalidUrlError(path, cause);
  }
}
