import type { JsonValue } from "../ports/values.ts";
import {
  InvalidJsonError,
  JsonTooDeepError,
  NotSerializableError,
  PayloadTooLargeError,
  UnsafeJsonKeyError,
} from "./errors.ts";

export type { JsonObject, JsonPrimitive, JsonValue } from "../ports/values.ts";

/** Keys that reach Object.prototype through naive merges; refused wherever JSON enters. */
const UNSAFE_KEYS = new Set(["__proto__", "constructor", "prototype"]);
export const MAX_JSON_DEPTH = 64;

/**
 * Parses untrusted JSON text. Refuses prototype-polluting keys and nesting deeper than 64
 * before the value reaches any handler or store.
 * @example parseJson('{"by":2}', "--data") // { by: 2 }
 */
export function parseJson(text: string, what = "input"): JsonValue {
  // Depth is checked on the raw text first so that a 2000-deep document never reaches JSON.parse's recursion.
  checkTextDepth(text, what);
  let value: unknown;
  try {
    value = JSON.parse(text, (key, v) => {
      if (UNSAFE_KEYS.has(key)) {
        throw new UnsafeJsonKeyError(`${what} contains the key "${key}", which is not allowed`, {
          hint: `rename the key; ${[...UNSAFE_KEYS].join(", ")} are refused to prevent prototype pollution`,
        });
      }
      return v;
    });
  } catch (error) {
    if (error instanceof UnsafeJsonKeyError) throw error;
    throw new InvalidJsonError(`${what} is not valid JSON: ${(error as Error).message}`, {
      hint: `pass a JSON value, for example '{"by":2}'`,
      cause: error,
    });
  }
  return value as JsonValue;
}

function checkTextDepth(text: string, what: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      depth++;
      if (depth > MAX_JSON_DEPTH) throw tooDeep(what);
    } else if (c === 125 || c === 93) depth--;
  }
}

function tooDeep(what: string): JsonTooDeepError {
  return new JsonTooDeepError(`${what} is nested deeper than ${MAX_JSON_DEPTH} levels`, {
    hint: "flatten the value",
  });
}

/**
 * Checks that an in-memory value is plain JSON (what a handler receives or returns, what state holds):
 * no functions, class instances, cycles, unsafe keys or excessive depth. Returns the value unchanged.
 */
export function assertJson(value: unknown, what = "value"): JsonValue {
  walk(value, what, 0, new Set());
  return value as JsonValue;
}

function walk(value: unknown, path: string, depth: number, seen: Set<object>): void {
  if (value === null) return;
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value))
        throw new NotSerializableError(`${path} is ${value}, which JSON cannot hold`);
      return;
    case "object":
      break;
    default:
      throw new NotSerializableError(`${path} is a ${typeof value}, which JSON cannot hold`, {
        hint: "state, inputs and results must be plain JSON values",
      });
  }
  if (depth >= MAX_JSON_DEPTH) throw tooDeep(path);
  const obj = value as object;
  if (seen.has(obj)) throw new NotSerializableError(`${path} contains a cycle`);
  seen.add(obj);
  if (Array.isArray(obj)) {
    obj.forEach((item, i) => {
      walk(item, `${path}[${i}]`, depth + 1, seen);
    });
  } else {
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      throw new NotSerializableError(
        `${path} is a ${obj.constructor?.name ?? "class instance"}, not a plain object`,
        {
          hint: "convert it to plain JSON (for a Date, use toISOString())",
        },
      );
    }
    for (const key of Object.keys(obj)) {
      if (UNSAFE_KEYS.has(key))
        throw new UnsafeJsonKeyError(`${path} contains the key "${key}", which is not allowed`);
      walk((obj as Record<string, unknown>)[key], `${path}.${key}`, depth + 1, seen);
    }
  }
  seen.delete(obj);
}

const encoder = new TextEncoder();

/** Size in bytes of the UTF-8 JSON text of a value. */
export function jsonByteLength(value: JsonValue | undefined): number {
  return value === undefined ? 0 : encoder.encode(JSON.stringify(value)).byteLength;
}

export function utf8ByteLength(text: string): number {
  return encoder.encode(text).byteLength;
}

export function assertMaxBytes(
  value: JsonValue | undefined,
  limit: number,
  what: string,
  hint?: string,
): void {
  const size = jsonByteLength(value);
  if (size > limit) {
    throw new PayloadTooLargeError(`${what} is ${formatBytes(size)}, over the ${formatBytes(limit)} limit`, {
      hint: hint ?? "send a smaller payload, or store large data elsewhere and pass a reference",
      details: { size, limit },
    });
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

/** A deep copy of JSON data; the handler's draft must never alias the committed state. */
export function cloneJson<T extends JsonValue | undefined>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
