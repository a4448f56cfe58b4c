import type { JsonValue } from "./json.ts";

export type InvokeMode = "sync" | "async";

export interface InvokeRequest {
  actorId: string;
  /** The actor type; resolved from the id when absent. */
  actorType?: string | undefined;
  /** The handler; the type's default handler when absent. */
  handler?: string | undefined;
  input?: JsonValue | undefined;
  mode?: InvokeMode | undefined;
  /** The idempotency key; a retry with the same id is applied once. Generated when absent. */
  messageId?: string | undefined;
}

export interface SyncInvokeResponse {
  mode: "sync";
  messageId: string;
  actorId: string;
  actorType: string;
  handler: string;
  result: JsonValue;
  /** The actor's version after the call. */
  version: number;
  /** True when this message id had already been applied and the stored result was returned. */
  duplicate: boolean;
}

export interface AsyncInvokeResponse {
  mode: "async";
  messageId: string;
  actorId: string;
  actorType: string;
  handler: string;
  queued: true;
}

export type InvokeResponse = SyncInvokeResponse | AsyncInvokeResponse;

/** Anything that runs actor handlers: the local fabric, `durable dev` over HTTP, a deployed stage. */
export interface Invoker {
  invoke(request: InvokeRequest & { mode: "async" }): Promise<AsyncInvokeResponse>;
  invoke(request: InvokeRequest & { mode?: "sync" | undefined }): Promise<SyncInvokeResponse>;
  invoke(request: InvokeRequest): Promise<InvokeResponse>;
}

export function newMessageId(): string {
  return crypto.randomUUID();
}
