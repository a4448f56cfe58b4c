/**
 * `durable inspect` on the local fabric, without `durable dev`, over HTTP: the page and its token,
 * invoke and unpark through its API, its own version stream, and every refusal of bad input.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runInspect } from "../../cli/commands/inspect.ts";
import { runInProcess } from "../deploy/fixtures.ts";
import { capturedContext } from "../support/cli-context.ts";
import { type TempDir, tempDir } from "../support/temp-dir.ts";
import { inspectorProject } from "./inspector-project.ts";

/** Browsers and emulators on a shared 2-core machine: generous, so a slow moment is not a failure. */
const TEST_TIMEOUT_MS = 30_000;

let dir: TempDir;
let root: string;
let url: string;
let token: string;
const stop = new AbortController();
let inspecting: Promise<void>;

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${url}${path.slice(1)}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-csrf-token": token, ...headers },
    body,
  });

async function refusal(response: Response): Promise<[number, string]> {
  const body = (await response.json()) as { error: { code: string } };
  return [response.status, body.error.code];
}

beforeAll(async () => {
  dir = tempDir("inspect-server-");
  root = await inspectorProject(dir.path);
  url = await new Promise<string>((resolve, reject) => {
    inspecting = runInspect(
      { port: "0" },
      capturedContext(root, { NO_COLOR: "1" }, stop.signal).ctx,
      resolve,
    );
    inspecting.catch(reject);
  });
  const page = await (await fetch(url)).text();
  token = /<meta name="csrf-token" content="([^"]+)"/.exec(page)?.[1] ?? "";
}, 60_000);

afterAll(async () => {
  stop.abort();
  await inspecting;
  await dir?.[Symbol.asyncDispose]();
});

describe("durable inspect on the local fabric", () => {
  test(
    "serves the page with a CSRF token of its own, a policy that allows only its own scripts, and no framing",
    async () => {
      const response = await fetch(url);
      expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
      expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(token.length).toBeGreaterThanOrEqual(40);
      expect((await fetch(`${url}inspector/app.js`)).headers.get("content-type")).toContain("javascript");
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "invokes through its API (no durable dev running), streams the new version itself, and lists the actor",
    async () => {
      const events = await fetch(`${url}events?actor=counter-1`);
      const reader = (events.body as ReadableStream<Uint8Array>).getReader();
      let text = "";
      while (!text.includes(": connected")) text += new TextDecoder().decode((await reader.read()).value);
      const invoked = await post(
        "/api/actors/counter-1/invoke",
        JSON.stringify({ handler: "increment", input: { by: 4 } }),
      );
      expect(invoked.status).toBe(200);
      expect(await invoked.json()).toMatchObject({ result: { count: 4 }, version: 1 });
      while (!text.includes("event: version")) text += new TextDecoder().decode((await reader.read()).value);
      expect(text).toContain('"actorId":"counter-1","actorType":"counter","version":1');
      await reader.cancel();
      const listed = (await (await fetch(`${url}api/actors?type=counter`)).json()) as {
        actors: { actorId: string }[];
      };
      expect(listed.actors.map((a) => a.actorId)).toEqual(["counter-1"]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "pages an actor's kept versions newest first, 20 at a time",
    async () => {
      for (let i = 0; i < 24; i++) {
        const r = await post("/api/actors/counter-5/invoke", JSON.stringify({ handler: "increment" }));
        expect(r.status).toBe(200);
      }
      type Versions = {
        kept: string;
        more: boolean;
        versions: { version: number; state: { count: number } }[];
      };
      const first = (await (await fetch(`${url}api/actors/counter-5/versions`)).json()) as Versions;
      expect(first).toMatchObject({ kept: "history", more: true });
      expect(first.versions.map((v) => v.version)).toEqual(Array.from({ length: 20 }, (_, i) => 24 - i));
      expect(first.versions[0]?.state.count).toBe(24);
      const older = (await (await fetch(`${url}api/actors/counter-5/versions?before=5`)).json()) as Versions;
      expect(older.versions.map((v) => v.version)).toEqual([4, 3, 2, 1]);
      expect(older.more).toBe(false);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "refuses bad input with a typed error and its status, and changes nothing",
    async () => {
      const before = await (await fetch(`${url}api/actors/counter-1`)).json();
      const cases: [Promise<Response>, number, string][] = [
        [fetch(`${url}api/actors?limit=0`), 400, "INVALID_INPUT"],
        [fetch(`${url}api/actors?type=Counter`), 400, "INVALID_INPUT"],
        [fetch(`${url}api/actors?cursor=${"x".repeat(20)}`), 400, "INVALID_INPUT"],
        [fetch(`${url}api/actors/bad%20id`), 400, "INVALID_ACTOR_ID"],
        [fetch(`${url}api/actors/%E0%A4%A`), 400, "INVALID_URL"],
        [fetch(`${url}api/actors/counter-99`), 404, "ACTOR_NOT_FOUND"],
        [fetch(`${url}api/actors/counter-1/versions?before=x`), 400, "INVALID_INPUT"],
        [fetch(`${url}inspector/%2e%2e%2fpackage.json`), 404, "NOT_FOUND"],
        [fetch(`${url}api/actors/counter-1`, { method: "DELETE" }), 405, "METHOD_NOT_ALLOWED"],
        [post("/api/actors/counter-1/invoke", "{"), 400, "INVALID_JSON"],
        [post("/api/actors/counter-1/invoke", '{"input":{"__proto__":{"x":1}}}'), 400, "UNSAFE_JSON_KEY"],
        [post("/api/actors/counter-1/invoke", "[]"), 400, "INVALID_INPUT"],
        [post("/api/actors/counter-1/invoke", '{"mode":"later"}'), 400, "INVALID_INPUT"],
        [post("/api/actors/counter-1/invoke", '{"handler":"nope"}'), 404, "UNKNOWN_HANDLER"],
        [post("/api/actors/counter-1/invoke", '{"messageId":""}'), 400, "INVALID_INPUT"],
        [post("/api/actors/counter-1/unpark", "{}"), 409, "NOT_PARKED"],
        [post("/api/actors/counter-1/invoke", "{}", { "content-type": "text/plain" }), 403, "CSRF_REFUSED"],
        [post("/api/actors/counter-1/invoke", "{}", { "x-csrf-token": "forged" }), 403, "CSRF_REFUSED"],
        [
          post("/api/actors/counter-1/invoke", "{}", { origin: "http://evil.example" }),
          403,
          "FORBIDDEN_HOST",
        ],
        [fetch(`${url}api/actors`, { headers: { host: "evil.example:80" } }), 403, "FORBIDDEN_HOST"],
      ];
      for (const [response, status, code] of cases)
        expect(await refusal(await response)).toEqual([status, code]);
      expect(await (await fetch(`${url}api/actors/counter-1`)).json()).toEqual(before);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "says which stage is missing when --stage names one this project never deployed",
    async () => {
      const run = await runInProcess(["inspect", "--stage", "prod", "--port", "0", "--json"], {
        cwd: root,
        env: { NO_COLOR: "1" },
      });
      expect(run.exitCode).toBe(1);
      expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: "STAGE_NOT_DEPLOYED" } });
    },
    TEST_TIMEOUT_MS,
  );
});
