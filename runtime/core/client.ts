import type { ActorDefinition, HandlerArgs, HandlerMap, HandlerOutput } from "./actor.ts";
import { DurableError, errorFromJSON, type SerializedError, StoreUnavailableError } from "./errors.ts";
import {
  type AsyncInvokeResponse,
  type InvokeRequest,
  type InvokeResponse,
  type Invoker,
  newMessageId,
} from "./invoker.ts";
import type { JsonObject, JsonValue } from "./json.ts";
import { assertActorId } from "./limits.ts";

/** Typed sync calls to one actor: each handler is a method returning its result. */
export type ActorStub<H> = {
  [K in keyof H & string]: (...args: HandlerArgs<H[K]>) => Promise<HandlerOutput<H[K]>>;
};

/** Typed async sends to one actor: each handler is a method resolving to the queued message id. */
export type ActorSender<H> = {
  [K in keyof H & string]: (...args: HandlerArgs<H[K]>) => Promise<AsyncInvokeResponse>;
};

export interface ActorClient<H> {
  /** A stub whose methods call the actor synchronously. */
  get(actorId: string): ActorStub<H>;
  /** A stub whose methods queue async messages (per-actor FIFO). */
  send(actorId: string): ActorSender<H>;
}

/**
 * A typed client for one actor type, over any invoker: the test fabric, `durable dev`
 * (`httpInvoker`), or a deployed stage.
 * @example
 * const { count } = await client(counter, fabric).get("counter-1").increment({ by: 2 });
 */
export function client<S extends JsonObject, H extends HandlerMap<S>>(
  definition: ActorDefinition<S, H>,
  invoker: Invoker = defaultInvoker(),
): ActorClient<H> {
  const stub = <T>(actorId: string, mode: "sync" | "async", pick: (r: InvokeResponse) => T) => {
    assertActorId(actorId);
    return new Proxy({} as Record<string, (input?: JsonValue) => Promise<T>>, {
      get(_target, handler) {
        if (typeof handler !== "string" || !definition.handlerNames.includes(handler)) return undefined;
        // Every call carries an id, so a transport that retries it (a lost reply, a reset
        // connection) is answered from the processed marker instead of applying it twice.
        return async (input?: JsonValue) =>
          pick(
            await invoker.invoke({
              actorId,
              actorType: definition.name,
              handler,
              input,
              mode,
              messageId: newMessageId(),
            }),
          );
      },
    });
  };
  return {
    get: (actorId) =>
      stub(actorId, "sync", (r) => (r.mode === "sync" ? r.result : null)) as unknown as ActorStub<H>,
    send: (actorId) => stub(actorId, "async", (r) => r) as unknown as ActorSender<H>,
  };
}

let fallback: Invoker | undefined;

/** The invoker `client()` uses when none is passed: `durable dev` at DURABLE_URL. */
export function defaultInvoker(): Invoker {
  if (fallback) return fallback;
  const url = typeof process !== "undefined" ? process.env.DURABLE_URL : undefined;
  if (!url) {
    throw new DurableError("INVALID_INPUT", "client() needs an invoker", {
      hint: "pass one (a test fabric, httpInvoker(url)) or set DURABLE_URL to a running `durable dev`",
    });
  }
  fallback = httpInvoker(url);
  return fallback;
}

/**
 * Invokes actors through the `durable dev` HTTP API.
 * @example const invoker = httpInvoker("http://127.0.0.1:8787")
 */
export function httpInvoker(baseUrl: string): Invoker {
  const base = baseUrl.replace(/\/+$/, "");
  const invoke = async (request: InvokeRequest): Promise<InvokeResponse> => {
    const path = `/actors/${encodeURIComponent(request.actorId)}${request.handler ? `/${encodeURIComponent(request.handler)}` : ""}`;
    const params = new URLSearchParams();
    if (request.mode === "async") params.set("mode", "async");
    if (request.actorType) params.set("actor", request.actorType);
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (request.messageId) headers["idempotency-key"] = request.messageId;
    let response: Response;
    try {
      response = await fetch(`${base}${path}?${params}`, {
        method: "POST",
        headers,
        body: JSON.stringify(request.input ?? null),
      });
    } catch (cause) {
      throw new StoreUnavailableError(`could not reach durable dev at ${base}`, {
        cause,
        hint: "start it with `durable dev`",
      });
    }
    const body = (await response.json()) as InvokeResponse | { error: SerializedError };
    if ("error" in body) throw errorFromJSON(body.error);
    return body;
  };
  return { invoke } as Invoker;
}
