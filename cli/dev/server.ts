import type { Server } from "bun";
import type { LocalPorts } from "../../runtime/adapters/local/index.ts";
import type { Fabric } from "../../runtime/core/fabric.ts";
import { parseJson } from "../../runtime/core/json.ts";
import { assertActorId, LIMITS } from "../../runtime/core/limits.ts";
import { errorResponse } from "./http-errors.ts";
import { refuseNonLocal } from "./loopback-guard.ts";
import { VersionFeed } from "./version-feed.ts";

export interface DevServerOptions {
  port: number;
  ports: LocalPorts;
  /** The current fabric; it changes when actors reload. */
  fabric: () => Fabric;
}

export interface DevServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const ROUTE = /^\/actors\/([^/]+)(?:\/([^/]+))?\/?$/;
const STATE_ROUTE = /^\/actors\/([^/]+)\/state\/?$/;

/**
 * The dev fabric's HTTP API on 127.0.0.1:
 *   POST /actors/:id/:handler     sync call (body: JSON input) → 200 { result, version, ... }
 *   POST /actors/:id/:handler?mode=async (or Prefer: respond-async) → 202 { messageId }
 *   GET  /actors/:id/state        the committed record
 *   GET  /actors                  every actor with its version
 *   GET  /events[?actor=id]       server-sent events, one per committed version
 */
export function startDevServer(options: DevServerOptions): DevServer {
  const feed = new VersionFeed(options.ports.store);
  let port = options.port;
  const server: Server<undefined> = Bun.serve({
    hostname: "127.0.0.1",
    port: options.port,
    idleTimeout: 0,
    maxRequestBodySize: LIMITS.syncPayloadBytes + 1024,
    fetch: async (request) => {
      const refusal = refuseNonLocal(request, port);
      if (refusal)
        return Response.json({ error: { code: "FORBIDDEN_HOST", message: refusal } }, { status: 403 });
      try {
        return await route(request, options, feed);
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

async function route(request: Request, options: DevServerOptions, feed: VersionFeed): Promise<Response> {
  const url = new URL(request.url);
  const path = url.pathname;
  if (request.method === "GET" && path === "/health") return Response.json({ ok: true });
  if (request.method === "GET" && path === "/actors")
    return Response.json(await options.ports.store.listActors());
  if (request.method === "GET" && path === "/events")
    return feed.stream(url.searchParams.get("actor") ?? undefined, request.signal);
  const state = STATE_ROUTE.exec(path);
  if (request.method === "GET" && state) {
    const actorId = decodeURIComponent(state[1] ?? "");
    assertActorId(actorId);
    const record = await options.ports.store.read(actorId);
    if (!record) return errorResponse({ code: "ACTOR_NOT_FOUND", message: `${actorId} has no state yet` });
    return Response.json(record);
  }
  const call = ROUTE.exec(path);
  if (call && request.method === "POST") {
    const text = await request.text();
    const input = text.trim() === "" ? undefined : parseJson(text, "request body");
    const async =
      url.searchParams.get("mode") === "async" || /respond-async/i.test(request.headers.get("prefer") ?? "");
    const response = await options.fabric().invoke({
      actorId: decodeURIComponent(call[1] ?? ""),
      handler: call[2] === undefined ? undefined : decodeURIComponent(call[2]),
      actorType: url.searchParams.get("actor") ?? undefined,
      input: input ?? undefined,
      mode: async ? "async" : "sync",
      messageId: request.headers.get("idempotency-key") ?? undefined,
    });
    return Response.json(response, { status: async ? 202 : 200 });
  }
  if (call || state)
    return Response.json(
      { error: { code: "METHOD_NOT_ALLOWED", message: `${request.method} ${path} is not supported` } },
      { status: 405 },
    );
  return Response.json(
    { error: { code: "NOT_FOUND", message: `no route ${request.method} ${path}` } },
    { status: 404 },
  );
}
