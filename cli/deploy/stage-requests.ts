import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import type {
  DurableInvokeEvent,
  DurableInvokeResult,
  DurableUnparkEvent,
  DurableUnparkResult,
} from "../../runtime/adapters/aws/invoke-event.ts";
import { errorFromJSON } from "../../runtime/core/errors.ts";
import type { UnparkResult } from "../../runtime/core/fabric.ts";
import type { SyncInvokeResponse } from "../../runtime/core/invoker.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import { CliError } from "../errors.ts";
import { firstLineOf } from "./errors.ts";

/**
 * One RequestResponse invoke carrying a DurableInvokeEvent. The handler answers user errors in the
 * payload (`ok: false`), which are rebuilt as the runtime's typed errors; a FunctionError means the
 * function itself failed (timeout, crash) and is reported with its own error and where to look.
 */
export async function invokeFunction(
  lambda: LambdaClient,
  functionName: string,
  message: ActorMessage,
  stage: string,
): Promise<SyncInvokeResponse> {
  const where = `stage ${stage}`;
  const event: DurableInvokeEvent = {
    type: "durable.invoke",
    actorId: message.actorId,
    actorType: message.actorType,
    handler: message.handler,
    messageId: message.id,
    ...(message.input === undefined ? {} : { input: message.input }),
  };
  const response = await guard(where, `invoking ${functionName}`, () =>
    lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: "RequestResponse",
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    ),
  );
  const text = response.Payload ? new TextDecoder().decode(response.Payload) : "";
  if (response.FunctionError) throw functionFailed(functionName, stage, text);
  const result = parsePayload(text) as DurableInvokeResult | undefined;
  if (!result || typeof result !== "object" || typeof result.ok !== "boolean") {
    throw new CliError(
      "FUNCTION_ANSWER_INVALID",
      `${functionName} on ${where} did not answer a durable invoke`,
      {
        hint: "the stage may run an older build; run durable deploy again",
      },
    );
  }
  if (!result.ok) throw errorFromJSON(result.error);
  return {
    mode: "sync",
    messageId: result.messageId,
    actorId: result.actorId,
    actorType: result.actorType,
    handler: result.handler,
    result: result.result,
    version: result.version,
    duplicate: result.duplicate,
  };
}

/**
 * Lambda answers a failed invoke with FunctionError "Unhandled" (or "Handled") and the function's
 * own error as the payload, `{ errorType, errorMessage, trace }`: that error is what the user needs,
 * not the FunctionError word.
 */
export function functionFailed(functionName: string, stage: string, payload: string): CliError {
  const detail = parsePayload(payload) as { errorType?: unknown; errorMessage?: unknown } | undefined;
  const type = typeof detail?.errorType === "string" && detail.errorType ? detail.errorType : undefined;
  const text =
    typeof detail?.errorMessage === "string" && detail.errorMessage
      ? firstLineOf(detail.errorMessage)
      : undefined;
  const cause = [type, text].filter(Boolean).join(": ") || "it returned no error details";
  return new CliError("FUNCTION_FAILED", `${functionName} failed on stage ${stage}: ${cause}`, {
    hint: `see what it logged: durable logs --stage ${stage}`,
  });
}

function parsePayload(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** AWS refusals (missing function or queue, access denied, bad credentials) become one line naming the stage. */
export async function guard<T>(where: string, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const name = error instanceof Error ? error.name : "Error";
    const missing = /NotFound|NonExistent/.test(name);
    throw new CliError("STAGE_REQUEST_FAILED", `${what} on ${where} failed: ${name}: ${firstLineOf(error)}`, {
      hint: missing
        ? "the stage may have been destroyed; run durable deploy again"
        : "check the credentials and region for this stage",
      cause: error,
    });
  }
}

/**
 * `durable state unpark --stage`: the function runs the unpark (a fenced turn, then the waiting
 * messages in order) with its own handlers and permissions, and answers what it did.
 */
export async function unparkOnStage(
  lambda: LambdaClient,
  functionName: string,
  actorId: string,
  actorType: string | undefined,
  where: string,
): Promise<UnparkResult> {
  const event: DurableUnparkEvent = { type: "durable.unpark", actorId, ...(actorType ? { actorType } : {}) };
  const response = await guard(where, `unparking ${actorId}`, () =>
    lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: "RequestResponse",
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    ),
  );
  const text = response.Payload ? new TextDecoder().decode(response.Payload) : "";
  const result = parsePayload(text) as DurableUnparkResult | undefined;
  if (response.FunctionError || !result || typeof result !== "object" || typeof result.ok !== "boolean") {
    throw new CliError("FUNCTION_ANSWER_INVALID", `${functionName} on ${where} did not answer the unpark`, {
      hint: "the stage may run a build from before unpark went through the function; run durable deploy again",
    });
  }
  if (!result.ok) throw errorFromJSON(result.error);
  const { ok: _ok, ...unparked } = result;
  return unparked;
}
