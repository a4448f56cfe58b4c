import { DurableError, InvalidInputError } from "../../core/errors.ts";
import type { Fabric } from "../../core/fabric.ts";
import type { InvokeRequest } from "../../core/invoker.ts";
import type { DurableInvokeEvent, DurableInvokeResult } from "./invoke-event.ts";
import type { LambdaMetrics } from "./lambda-metrics.ts";

/** A sync invoke: every DurableError (a user error or an expected condition) is an `ok: false` result; anything else is a bug and throws. */
export async function invoke(
  event: DurableInvokeEvent,
  fabric: Fabric,
  metrics: LambdaMetrics,
  log: (fields: Record<string, unknown>) => void,
): Promise<DurableInvokeResult> {
  try {
    const response = await fabric.invoke({ ...invokeRequest(event), mode: "sync" });
    if (!response.duplicate) metrics.count("invoke", "MessagesApplied", 1);
    const { messageId, actorId, actorType, handler, result, version, duplicate } = response;
    return { ok: true, messageId, actorId, actorType, handler, result, version, duplicate };
  } catch (error) {
    if (!(error instanceof DurableError)) throw error;
    metrics.count("invoke", "InvokeErrors", 1);
    log({
      level: error.userFacing ? "warn" : "error",
      message: "invoke failed",
      actorId: String(event.actorId),
      code: error.code,
      error: error.message,
    });
    return { ok: false, error: error.toJSON() };
  }
}

/** The payload came through JSON from any client, so its fields are checked before they are used. */
function invokeRequest(event: DurableInvokeEvent): InvokeRequest {
  const optionalString = (name: "actorType" | "handler" | "messageId"): string | undefined => {
    const value: unknown = event[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string" || value.length === 0 || value.length > 512) {
      throw new InvalidInputError(
        `durable.invoke: ${name} must be a non-empty string of at most 512 characters`,
      );
    }
    return value;
  };
  return {
    actorId: event.actorId,
    actorType: optionalString("actorType"),
    handler: optionalString("handler"),
    messageId: optionalString("messageId"),
    input: event.input,
  };
}
