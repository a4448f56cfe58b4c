import { describe, expect, test } from "bun:test";
import { assertJson, parseJson } from "../../runtime/core/json.ts";

describe("parseJson refuses unsafe input before it reaches a handler", () => {
  test("prototype-polluting keys are refused at any depth, and Object.prototype stays clean", () => {
    for (const text of [
      `{"__proto__":{"p":1}}`,
      `{"a":{"constructor":{"prototype":{"p":1}}}}`,
      `[{"prototype":1}]`,
    ]) {
      expect(() => parseJson(text)).toThrow(expect.objectContaining({ code: "UNSAFE_JSON_KEY" }));
    }
    expect(({} as { p?: unknown }).p).toBeUndefined();
  });

  test("nesting deeper than 64 is refused without recursing (depth 2000 included)", () => {
    const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
    expect(parseJson(deep(64))).toBeDefined();
    expect(() => parseJson(deep(65))).toThrow(expect.objectContaining({ code: "JSON_TOO_DEEP" }));
    expect(() => parseJson(deep(2000))).toThrow(expect.objectContaining({ code: "JSON_TOO_DEEP" }));
  });

  test("brackets inside strings do not count as nesting", () => {
    expect(parseJson(JSON.stringify({ s: "[".repeat(500) }))).toEqual({ s: "[".repeat(500) });
  });

  test("non-JSON is a typed INVALID_JSON error that names the input", () => {
    expect(() => parseJson("{bad", "--data")).toThrow(
      expect.objectContaining({ code: "INVALID_JSON", message: expect.stringContaining("--data") }),
    );
  });
});

describe("assertJson keeps state and results plain JSON", () => {
  test("functions, class instances, non-finite numbers and cycles are refused", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [
      () => 1,
      new Date(),
      Number.NaN,
      Number.POSITIVE_INFINITY,
      cyclic,
      { m: new Map() },
      undefined,
    ]) {
      expect(() => assertJson(bad)).toThrow(
        expect.objectContaining({ code: expect.stringMatching(/NOT_SERIALIZABLE|UNSAFE_JSON_KEY/) }),
      );
    }
  });

  test("an own __proto__ key created with defineProperty is refused", () => {
    const value = {};
    Object.defineProperty(value, "__proto__", { value: { p: 1 }, enumerable: true });
    expect(() => assertJson(value)).toThrow(expect.objectContaining({ code: "UNSAFE_JSON_KEY" }));
  });

  test("plain nested JSON passes unchanged", () => {
    const v = { a: [1, "x", null, true, { b: 2 }] };
    expect(assertJson(v)).toBe(v);
  });
});
