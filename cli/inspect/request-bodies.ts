import type { InvokeMode } from "../../runtime/core/invoker.ts";
import { type JsonValue, parseJson } from "../../runtime/core/json.ts";
import { CliError } from "../errors.ts";

export interface InvokeBody {
  handler: string | undefined;
  input: JsonValue | undefined;
  mode: InvokeMode;
  messageId: string | undefined;
}

type JsonObject = { [key: string]: JsonValue };

function objectBody(text: string, what: string): JsonObject {
  const value = text.trim() === "" ? {} : parseJson(text, what);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CliError("INVALID_INPUT", `${what} must be a JSON object`, {
      hint: '{ "handler": "increment", "input": {} }',
    });
  }
  return value;
}

function optionalString(body: JsonObject, key: string, what: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new CliError("INVALID_INPUT", `${what}.${key} must be a string`);
  return value;
}

/**
 * On a stage every change asks first: the page's confirmation dialog sends the actor id back as
 * `confirm`, and a request without it changes nothing.
 */
function checkConfirmed(body: JsonObject, actorId: string, stage: boolean, what: string): void {
  if (stage && body.confirm !== actorId) {
    throw new CliError("CONFIRMATION_REQUIRED", `${what} on a stage needs confirmation`, {
      hint: `confirm in the page's dialog (the request repeats the actor id as "confirm": "${actorId}")`,
    });
  }
}

/** `POST /api/actors/:id/invoke`: `{ handler?, input?, mode?: "sync" | "async", messageId?, confirm? }`. */
export function invokeBody(text: string, actorId: string, stage: boolean): InvokeBody {
  const body = objectBody(text, "invoke request");
  const mode = optionalString(body, "mode", "invoke request") ?? "sync";
  if (mode !== "sync" && mode !== "async") {
    throw new CliError("INVALID_INPUT", `mode ${JSON.stringify(mode)} is neither "sync" nor "async"`);
  }
  checkConfirmed(body, actorId, stage, `invoking ${actorId}`);
  return {
    handler: optionalString(body, "handler", "invoke request"),
    input: body.input ?? undefined,
    mode,
    messageId: optionalString(body, "messageId", "invoke request"),
  };
}

/** `POST /api/actors/:id/unpark`: `{ confirm? }`. */
export function unparkBody(text: string, actorId: string, stage: boolean): void {
  checkConfirmed(objectBody(text, "unpark request"), actorId, stage, `unparking ${actorId}`);
}
