import { describe, expect, test } from "bun:test";
import {
  assertActorId,
  assertAsyncPayload,
  assertSignalPayload,
  assertSyncPayload,
} from "../../runtime/core/limits.ts";

describe("actor ids", () => {
  test("ids of letters, digits and . _ : - up to 128 characters are accepted", () => {
    for (const id of ["counter-1", "a", "A.b_c:d-e", "x".repeat(128)])
      expect(() => assertActorId(id)).not.toThrow();
  });

  test("empty, too long, NUL, path-like, spaces and prototype names are refused with a typed error", () => {
    for (const id of [
      "",
      "x".repeat(129),
      "a\u0000b",
      "../x",
      "a/b",
      "bad id!",
      "__proto__",
      "constructor",
      "prototype",
      ".",
      "..",
    ]) {
      expect(() => assertActorId(id)).toThrow(expect.objectContaining({ code: "INVALID_ACTOR_ID" }));
    }
  });

  test("the error says what is allowed", () => {
    expect(() => assertActorId("bad id!")).toThrow(/1-128 characters of letters, digits and \. _ : -/);
  });
});

describe("payload sizes are refused before any network call", () => {
  const ofBytes = (n: number) => "x".repeat(n - 2); // JSON string quotes add 2 bytes

  test("sync calls take up to 6 MB", () => {
    expect(() => assertSyncPayload(ofBytes(6 * 1024 * 1024))).not.toThrow();
    expect(() => assertSyncPayload(ofBytes(6 * 1024 * 1024 + 1))).toThrow(
      expect.objectContaining({ code: "PAYLOAD_TOO_LARGE" }),
    );
  });

  test("async messages take up to 1 MiB: 255 KB passes, 1.1 MB is refused", () => {
    expect(() => assertAsyncPayload(ofBytes(255 * 1024))).not.toThrow();
    expect(() => assertAsyncPayload(ofBytes(1.1 * 1024 * 1024))).toThrow(
      expect.objectContaining({ code: "PAYLOAD_TOO_LARGE" }),
    );
  });

  test("signals take up to 256 KB", () => {
    expect(() => assertSignalPayload(ofBytes(256 * 1024))).not.toThrow();
    expect(() => assertSignalPayload(ofBytes(256 * 1024 + 1))).toThrow(
      expect.objectContaining({ code: "PAYLOAD_TOO_LARGE" }),
    );
  });
});
