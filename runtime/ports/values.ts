/** The plain JSON a port stores or carries: no classes, no undefined inside arrays, no cycles. */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** A runtime error as it is stored (a processed marker, a parked record) or sent (an HTTP body, a Lambda response). */
export interface SerializedError {
  name: string;
  code: string;
  message: string;
  hint?: string | undefined;
  details?: Record<string, unknown>;
}
