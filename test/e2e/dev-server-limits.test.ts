import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { join } from "node:path";
import { type DevProcess, durable, startDev } from "../support/cli-process.ts";
import { type TempDir, tempDir } from "../support/temp-dir.ts";

/** Every refusal of `durable dev` is the documented JSON error, and no client can hold it forever. */
let dir: TempDir;
let dev: DevProcess;

beforeAll(async () => {
  dir = tempDir("dev-limits-");
  const init = await durable(["init", "counter", "--template", "counter", "--no-git", "--no-install"], {
    cwd: dir.path,
  });
  expect(init.code).toBe(0);
  dev = await startDev(join(dir.path, "counter"));
});
afterAll(async () => {
  await dev?.[Symbol.asyncDispose]();
  await dir[Symbol.asyncDispose]();
});

interface ErrorBody {
  error: { code: string; message: string; hint?: string };
}

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${dev.url}${path}`, { method: "POST", body, headers });

/** Raw HTTP over a socket: what fetch will not send (a lying Content-Length, a stall). */
function rawRequest(head: string): Promise<{ response: string; closedAfterMs: number }> {
  const url = new URL(dev.url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let response = "";
    const socket = connect({ host: url.hostname, port: Number(url.port) }, () => socket.write(head));
    socket.on("data", (chunk) => {
      response += chunk.toString();
    });
    socket.on("error", reject);
    socket.on("close", () => resolve({ response, closedAfterMs: Date.now() - started }));
  });
}

describe("durable dev answers every refusal with { error: { code, message, hint } }", () => {
  test.each([6.4, 7])("a %p MB body: 413 PAYLOAD_TOO_LARGE as JSON", async (mb) => {
    const response = await post(
      "/actors/counter-1/increment",
      JSON.stringify({ pad: "x".repeat(mb * 1024 * 1024) }),
    );
    expect(response.status).toBe(413);
    const body = (await response.json()) as ErrorBody;
    expect(body.error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", hint: expect.any(String) });
    expect(body.error.message).toContain("over the 6.06 MB a sync call can carry");
  });

  test("a body announced as 1 GB: 413 as JSON at once, and the connection closed", async () => {
    const { response, closedAfterMs } = await rawRequest(
      "POST /actors/counter-1/increment HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1073741824\r\n\r\n{",
    );
    expect(response).toStartWith("HTTP/1.1 413");
    const body = JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4)) as ErrorBody;
    expect(body.error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(closedAfterMs).toBeLessThan(5_000);
  });

  test.each([
    ["POST", "/actors/%E0%A4%A/increment"],
    ["POST", "/actors/counter-1/%ZZ"],
    ["GET", "/actors/%E0%A4%A/state"],
  ])("%s %s (malformed percent-encoding): 400 INVALID_URL, not a 500", async (method, path) => {
    const response = await fetch(`${dev.url}${path}`, {
      method,
      ...(method === "POST" ? { body: "{}" } : {}),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error).toMatchObject({
      code: "INVALID_URL",
      hint: expect.stringContaining("percent-encode"),
    });
  });

  test("unknown routes (404) and methods (405) say which routes exist", async () => {
    const missing = await fetch(`${dev.url}/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as ErrorBody).error.hint).toContain("POST /actors/:id/:handler");
    const method = await fetch(`${dev.url}/actors/counter-1/increment`, { method: "PUT", body: "{}" });
    expect(method.status).toBe(405);
    expect(((await method.json()) as ErrorBody).error.code).toBe("METHOD_NOT_ALLOWED");
  });
});

describe("Idempotency-Key: the Lambda entry's limit of 512 characters", () => {
  test("a key of 512 printable characters is the message id, and a repeat is applied once", async () => {
    const key = `k-${"x".repeat(508)}-1`;
    expect(key).toHaveLength(512);
    const first = await post("/actors/idem-1/increment", "{}", { "Idempotency-Key": key });
    expect(await first.json()).toMatchObject({ messageId: key, duplicate: false, version: 1 });
    const again = await post("/actors/idem-1/increment", "{}", { "Idempotency-Key": key });
    expect(await again.json()).toMatchObject({ messageId: key, duplicate: true, version: 1 });
  });

  test("a key of 10,000 characters is refused with 400 INVALID_INPUT and changes nothing", async () => {
    const response = await post("/actors/idem-2/increment", "{}", { "Idempotency-Key": "k".repeat(10_000) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error).toMatchObject({
      code: "INVALID_INPUT",
      message: expect.stringContaining("1-512 printable ASCII characters"),
    });
    expect((await fetch(`${dev.url}/actors/idem-2/state`)).status).toBe(404);
  });

  test("without a key the server makes the message id and answers it", async () => {
    const body = (await (await post("/actors/idem-3/increment", "{}")).json()) as { messageId: string };
    expect(body.messageId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("a stalled connection is closed after a bounded time", () => {
  test("one that sent its headers but not its body, and one that stopped inside its headers", async () => {
    const [body, headers] = await Promise.all([
      rawRequest(
        "POST /actors/counter-1/increment HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n",
      ),
      rawRequest("POST /actors/counter-1/increment HTTP/1.1\r\nHost: 127"),
    ]);
    // The idle timeout is 10 s; Bun closes a connection stalled in its headers a little later.
    expect(body.closedAfterMs).toBeLessThan(15_000);
    expect(headers.closedAfterMs).toBeLessThan(15_000);
    // Nothing was applied from the half-sent request.
    expect(((await (await fetch(`${dev.url}/actors/counter-1/state`)).json()) as ErrorBody).error.code).toBe(
      "ACTOR_NOT_FOUND",
    );
  }, 30_000);

  test("an event stream quiet for longer than the idle timeout stays open (the timeout is for stalled requests)", async () => {
    const events = await fetch(`${dev.url}/events?actor=slow-1`);
    const reader = (events.body as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // ": connected"
    await Bun.sleep(11_500);
    await post("/actors/slow-1/increment", "{}");
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain("event: version");
    await reader.cancel();
  }, 30_000);
});
