import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import type {
  DurableInvokeEvent,
  DurableInvokeResult,
  DurableMigrateEvent,
  DurableRedriveEvent,
  DurableUnparkEvent,
} from "../../runtime/adapters/aws/invoke-event.ts";
import type { SignalDeliveryResult } from "../../runtime/adapters/aws/lambda-events.ts";
import { errorFromJSON, type SerializedError } from "../../runtime/core/errors.ts";
import type { RedriveResult, UnparkResult } from "../../runtime/core/fabric.ts";
import type { SyncInvokeResponse } from "../../runtime/core/invoker.ts";
import type { JsonObject } from "../../runtime/core/json.ts";
import type { MigrateOutcome } from "../../runtime/core/migrate-actor.ts";
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
export function unparkOnStage(
  lambda: LambdaClient,
  functionName: string,
  actorId: string,
  actorType: string | undefined,
  stage: string,
): Promise<UnparkResult> {
  const event: DurableUnparkEvent = { type: "durable.unpark", actorId, ...(actorType ? { actorType } : {}) };
  return operateOnStage<UnparkResult>(lambda, functionName, event, stage, {
    doing: `unparking ${actorId}`,
    command: "durable state unpark",
    answer: "the unpark",
  });
}

/**
 * `durable dlq redrive --stage`: the function puts one actor's dead letters back through
 * Fabric.redrive (with its own handlers and, for a failed signal route, its own routes) and answers
 * once that committed.
 */
export function redriveOnStage(
  lambda: LambdaClient,
  functionName: string,
  event: DurableRedriveEvent,
  stage: string,
): Promise<RedriveResult> {
  return operateOnStage<RedriveResult>(lambda, functionName, event, stage, {
    doing: `redriving to ${event.actorId}`,
    command: "durable dlq redrive",
    answer: "the redrive",
  });
}

/**
 * A signal event from the signal DLQ, handed to the function again as EventBridge would deliver it,
 * but synchronously, so the answer says it was routed.
 */
export async function deliverSignalOnStage(
  lambda: LambdaClient,
  functionName: string,
  event: JsonObject,
  stage: string,
): Promise<SignalDeliveryResult> {
  const where = `stage ${stage}`;
  const answer = await callFunction(
    lambda,
    functionName,
    event,
    where,
    `delivering signal ${String(event.id)}`,
  );
  if (answer.functionError) throw functionFailed(functionName, stage, answer.text);
  const result = parsePayload(answer.text) as Partial<SignalDeliveryResult> | undefined;
  if (typeof result?.routed !== "number" || typeof result.signalId !== "string") {
    throw new CliError("FUNCTION_ANSWER_INVALID", `${functionName} on ${where} did not answer the signal`, {
      hint: `the stage may run an older build; run durable deploy --stage ${stage}`,
    });
  }
  return { signalId: result.signalId, routed: result.routed };
}

/**
 * `durable migrate --stage`: the function migrates a batch of actors (each a fenced turn, with its
 * own code's migrations) and answers per actor.
 */
export async function migrateOnStage(
  lambda: LambdaClient,
  functionName: string,
  actors: readonly { actorId: string; actorType: string }[],
  stage: string,
): Promise<MigrateOutcome[]> {
  const event: DurableMigrateEvent = { type: "durable.migrate", actors: [...actors] };
  const { results } = await operateOnStage<{ results: MigrateOutcome[] }>(
    lambda,
    functionName,
    event,
    stage,
    {
      doing: `migrating ${actors.length} actor(s)`,
      command: "durable migrate",
      answer: "the migration",
    },
  );
  return results;
}

/**
 * An operator's request (unpark, redrive, migrate) run by the stage's function: its answer without
 * `ok`, its refusal as the runtime's typed error, a failed function (or one from before the
 * request existed) as one line that says what to run.
 */
async function operateOnStage<T extends object>(
  lambda: LambdaClient,
  functionName: string,
  event: unknown,
  stage: string,
  what: { doing: string; command: string; answer: string },
): Promise<T> {
  const where = `stage ${stage}`;
  const answer = await callFunction(lambda, functionName, event, where, what.doing);
  if (answer.functionError) throw operationFailed(functionName, stage, answer.text, what.command);
  const result = parsePayload(answer.text) as
    | ({ ok: true } & T)
    | { ok: false; error: SerializedError }
    | undefined;
  if (!result || typeof result !== "object" || typeof result.ok !== "boolean") {
    throw new CliError(
      "FUNCTION_ANSWER_INVALID",
      `${functionName} on ${where} did not answer ${what.answer}`,
      {
        hint: `the stage may run an older build; run durable deploy --stage ${stage}`,
      },
    );
  }
  if (!result.ok) throw errorFromJSON(result.error);
  const { ok: _ok, ...answered } = result;
  return answered as T;
}

/** One RequestResponse invoke with an operator's event: the answer's text, and FunctionError when the function failed. */
async function callFunction(
  lambda: LambdaClient,
  functionName: string,
  event: unknown,
  where: string,
  what: string,
): Promise<{ text: string; functionError: string | undefined }> {
  const response = await guard(where, what, () =>
    lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: "RequestResponse",
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    ),
  );
  const text = response.Payload ? new TextDecoder().decode(response.Payload) : "";
  return { text, functionError: response.FunctionError };
}

/** A build from before an operation throws "unsupported event": that is an old deployment, not a bug to chase in the logs. */
function operationFailed(functionName: string, stage: string, payload: string, operation: string): CliError {
  const detail = parsePayload(payload) as { errorMessage?: unknown } | undefined;
  if (typeof detail?.errorMessage === "string" && detail.errorMessage.startsWith("unsupported event")) {
    return new CliError(
      "STAGE_TOO_OLD",
      `${functionName} on stage ${stage} runs a build from before ${operation}`,
      { hint: `run durable deploy --stage ${stage}, then ${operation} again` },
    );
  }
  return functionFailed(functionName, stage, payload);
}
