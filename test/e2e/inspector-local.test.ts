/**
 * The inspector in a real browser (Debian's Chromium through playwright-core), against a real
 * `durable dev` on a generated project. One Chromium for the whole file.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { type Browser, launchChromium, rowCount, shows } from "../support/chromium.ts";
import { type DevProcess, DURABLE_BIN, startDev, userEnv } from "../support/cli-process.ts";
import { type TempDir, tempDir } from "../support/temp-dir.ts";
import { waitUntil } from "../support/wait-until.ts";
import { inspectorProject } from "./inspector-project.ts";
import { saveActorScreenshot } from "./inspector-screenshot.ts";

/** Browsers and emulators on a shared 2-core machine: generous, so a slow moment is not a failure. */
const TEST_TIMEOUT_MS = 30_000;

/** The README shows this image beside the inspector's description. */
const SCREENSHOT = join(import.meta.dir, "..", "..", "docs", "inspector.png");

let dir: TempDir;
let root: string;
let browser: Browser;
let dev: DevProcess;

async function call(actorId: string, handler: string, input: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${dev.url}/actors/${actorId}/${handler}`, {
    method: "POST",
    headers,
    body: JSON.stringify(input),
  });
  expect(response.status).toBeLessThan(300);
  return response.json();
}

interface StateView {
  version: number;
  state: { count: number };
  parked: unknown;
  waiting: number;
}

async function state(actorId: string): Promise<StateView> {
  return (await (await fetch(`${dev.url}/actors/${actorId}/state`)).json()) as StateView;
}

/** A poison increment (by 1.5 throws) and its followers: the dev worker retries it to its last delivery and parks the actor. */
async function park(actorId: string, followers: number[]): Promise<void> {
  const async = (key: string) => ({ Prefer: "respond-async", "Idempotency-Key": key });
  await call(actorId, "increment", { by: 1.5 }, async(`${actorId}-poison`));
  for (const [i, by] of followers.entries())
    await call(actorId, "increment", { by }, async(`${actorId}-next-${i + 1}`));
  await waitUntil(
    async () => {
      const s = await state(actorId);
      return s.parked !== null && s.waiting === followers.length;
    },
    { what: `${actorId} parked with ${followers.length} waiting`, timeoutMs: 20_000 },
  );
}

async function openInspector(hash = ""): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`${dev.url}/${hash}`);
  await page.waitForSelector("body[data-ready]");
  return page;
}

const rowIds = (page: Page) => page.locator("#fleet-table tbody tr th").allTextContents();

beforeAll(async () => {
  dir = tempDir("inspector-local-");
  root = await inspectorProject(dir.path);
  [browser, dev] = await Promise.all([launchChromium(), startDev(root)]);
  await call("counter-1", "increment", { by: 2 });
  // The list orders by commit time in milliseconds: counter-3 must be the newer one.
  await Bun.sleep(2);
  await call("counter-3", "increment", {});
  await call("gauge-1", "record", { value: 7 });
  await call("counter-7", "increment", { by: 1 });
  await call("counter-7", "increment", { by: 2 });
  await park("counter-2", [3]);
  await park("counter-7", [4, 5]);
}, 90_000);

afterAll(async () => {
  await dev?.[Symbol.asyncDispose]();
  await browser?.[Symbol.asyncDispose]();
  await dir?.[Symbol.asyncDispose]();
});

describe("the inspector under durable dev", () => {
  test(
    "durable dev prints the inspector URL (the JSON ready line and the human one)",
    async () => {
      expect(JSON.parse(dev.lines[0] ?? "{}")).toMatchObject({ inspector: `${dev.url}/` });
      const human = Bun.spawn({
        cmd: [DURABLE_BIN, "dev", "--port", "0"],
        cwd: root,
        env: userEnv({ NO_COLOR: "1" }),
        stdout: "ignore",
        stderr: "pipe",
      });
      let text = "";
      const reader = human.stderr.getReader();
      while (!/inspector: http:\/\/127\.0\.0\.1:\d+\/ /.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      human.kill("SIGINT");
      await human.exited;
      expect(text).toMatch(/inspector: http:\/\/127\.0\.0\.1:\d+\/ /);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "lists the actors with type, version, last active, parked and next timer: parked first, then by type",
    async () => {
      const page = await openInspector();
      expect(await rowIds(page)).toEqual(["counter-7", "counter-2", "counter-3", "counter-1", "gauge-1"]);
      const parked = page.locator('tr[data-actor="counter-2"]');
      await expect(parked.locator("td").nth(3).textContent()).resolves.toBe("PARKED");
      await expect(parked.locator("td").nth(5).textContent()).resolves.toBe("1");
      const gauge = page.locator('tr[data-actor="gauge-1"] td');
      expect(await gauge.nth(0).textContent()).toBe("gauge");
      expect(await gauge.nth(1).textContent()).toBe("1");
      expect(await gauge.nth(2).textContent()).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(await gauge.nth(4).textContent()).toMatch(/^\d{4}-\d\d-\d\dT/);
      await page.close();
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "filters by id prefix, type and parked, all from the keyboard",
    async () => {
      const page = await openInspector();
      await page.focus("#filter-prefix");
      await page.keyboard.type("counter-1");
      await page.keyboard.press("Enter");
      await rowCount(page, 1);
      expect(await rowIds(page)).toEqual(["counter-1"]);

      await page.fill("#filter-prefix", "");
      await page.focus("#filter-type");
      await page.selectOption("#filter-type", "gauge");
      await page.keyboard.press("Tab");
      await page.keyboard.press("Tab");
      await page.keyboard.press("Space"); // parked only: no gauge is parked
      await page.keyboard.press("Tab");
      await page.keyboard.press("Enter");
      await page.waitForSelector("#fleet-empty:not([hidden])");

      await page.selectOption("#filter-type", "");
      await page.click("#filters button[type=submit]");
      await rowCount(page, 2);
      expect(await rowIds(page)).toEqual(["counter-7", "counter-2"]);
      await page.close();
    },
    TEST_TIMEOUT_MS,
  );
});

describe("one actor in the inspector", () => {
  test(
    "opens from the list by keyboard: focus moves to it, its state is a tree, its versions a diff, its timers listed",
    async () => {
      const page = await openInspector();
      await page.getByRole("link", { name: "gauge-1" }).focus();
      await page.keyboard.press("Enter");
      await page.waitForSelector("#actor:not([hidden])");
      expect(await page.evaluate("document.activeElement?.id")).toBe("actor-title");
      expect(await page.textContent("#actor-title")).toBe("gauge-1 (gauge)");
      expect(await page.locator("#state-tree").textContent()).toContain("readings:");
      expect(await page.locator("#state-tree").textContent()).toContain("7");
      expect(await page.locator("#timers td").first().textContent()).toBe("flush");
      expect(page.url()).toEndWith("#actor=gauge-1");

      await page.getByRole("link", { name: "counter-7" }).click();
      await shows(page, "#actor-title", /^counter-7 \(counter\)$/);
      await page.selectOption("#diff-from", "1");
      await page.selectOption("#diff-to", "2");
      expect(await page.locator("#diff").textContent()).toContain("~ changed count: 1 → 3");
      await page.close();
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "shows a version committed elsewhere as it arrives (server-sent events), in the actor and in the list",
    async () => {
      const page = await openInspector("#actor=counter-1");
      await shows(page, "#actor-live", "as they commit");
      const before = (await state("counter-1")).version;
      await call("counter-1", "increment", { by: 5 });
      await shows(page, "#actor-summary", new RegExp(`^version ${before + 1} `));
      expect(await page.locator("#diff").textContent()).toContain("~ changed count: 2 → 7");
      await shows(page, 'tr[data-actor="counter-1"] td[data-field="version"]', new RegExp(`^${before + 1}$`));
      await page.close();
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "invokes a handler with JSON input from the page, and refuses input that is not JSON before sending it",
    async () => {
      const page = await openInspector("#actor=counter-3");
      await page.selectOption("#invoke-handler", "increment");
      await page.fill("#invoke-input", "{ by: 10 }");
      await page.click("#invoke button[type=submit]");
      await shows(page, "#invoke-result", "not JSON");
      expect((await state("counter-3")).state.count).toBe(1);

      await page.fill("#invoke-input", '{ "by": 10 }');
      await page.click("#invoke button[type=submit]");
      await shows(page, "#invoke-result", '"count": 11');
      expect((await state("counter-3")).state.count).toBe(11);
      await shows(page, "#state-tree", "count: 11");
      await page.close();
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "shows a parked actor's error, waiting message and dead letter, and unparks it: the waiting message runs once",
    async () => {
      const page = await openInspector("#actor=counter-2");
      const banner = await page.locator("#actor-parked-text").textContent();
      expect(banner).toContain("PARKED since");
      expect(banner).toContain("HANDLER_FAILED: by must be an integer, got 1.5");
      expect(await page.locator("#waiting tbody tr").count()).toBe(1);
      expect(await page.locator("#waiting tbody").textContent()).toContain('{"by":3}');
      await page.waitForSelector("#letters tbody tr");
      expect(await page.locator("#letters tbody").textContent()).toContain("counter-2-poison");

      await page.click("#unpark");
      await shows(page, "#actor-action-result", "1 message(s) were waiting, 1 ran in order");
      expect(await state("counter-2")).toMatchObject({ parked: null, waiting: 0, state: { count: 3 } });
      await page.waitForSelector("#actor-parked", { state: "hidden" });
      await page.close();
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "saves a screenshot of the actor view to docs/inspector.png (a parked actor, its diff, waiting and dead letters)",
    async () => {
      const page = await openInspector("#actor=counter-7");
      await page.waitForSelector("#letters tbody tr");
      await shows(page, "#actor-live", "as they commit");
      await page.selectOption("#diff-from", "1");
      await page.selectOption("#diff-to", "2");
      const size = await saveActorScreenshot(page, SCREENSHOT);
      expect(size.width).toBeGreaterThan(800);
      expect(size.height).toBeGreaterThan(600);
      await page.close();
    },
    TEST_TIMEOUT_MS,
  );
});

describe("paging", () => {
  test(
    "pages past 50 actors with Next and Previous (by cursor), keeping the filter",
    async () => {
      for (let i = 0; i < 55; i++) await call(`counter-p${String(i).padStart(2, "0")}`, "increment", {});
      const page = await openInspector();
      await page.fill("#filter-prefix", "counter-p");
      await page.keyboard.press("Enter");
      await shows(page, "#fleet-table tbody tr:first-child th", /^counter-p\d\d$/);
      await rowCount(page, 50);
      const first = await rowIds(page);
      expect(await page.textContent("#page-status")).toBe("actors 1–50, more after");
      await page.click("#page-next");
      await rowCount(page, 5);
      const second = await rowIds(page);
      expect(await page.textContent("#page-status")).toBe("actors 51–55");
      expect(await page.isDisabled("#page-next")).toBe(true);
      expect(new Set([...first, ...second]).size).toBe(55);
      // The same pages, in the same order, as the fleet listing itself gives them.
      const api = async (cursor?: string) =>
        (await (
          await fetch(`${dev.url}/api/actors?prefix=counter-p&limit=50${cursor ? `&cursor=${cursor}` : ""}`)
        ).json()) as { actors: { actorId: string }[]; next: string | null };
      const one = await api();
      const two = await api(one.next ?? "");
      expect([...first, ...second]).toEqual([...one.actors, ...two.actors].map((a) => a.actorId));
      await page.click("#page-prev");
      await rowCount(page, 50);
      expect(await rowIds(page)).toEqual(first);
      await page.close();
    },
    TEST_TIMEOUT_MS,
  );
});

describe("the inspector's safety", () => {
  test(
    "refuses a cross-origin request from another site's page, and a same-origin change without the CSRF token",
    async () => {
      const before = await state("counter-1");
      // Another site on this machine: its page posts to the inspector (a "simple" request needs no preflight).
      const evil = Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        fetch: () =>
          new Response(
            `<!doctype html><script>
            fetch(${JSON.stringify(`${dev.url}/api/actors/counter-1/invoke`)}, {
              method: "POST", mode: "no-cors", headers: { "content-type": "text/plain" },
              body: JSON.stringify({ handler: "reset" }),
            });
          </script>`,
            { headers: { "content-type": "text/html" } },
          ),
      });
      try {
        const page = await browser.context.newPage();
        const refused = page.waitForResponse((r) => r.url().endsWith("/api/actors/counter-1/invoke"));
        await page.goto(`http://127.0.0.1:${evil.port}/`);
        expect((await refused).status()).toBe(403);
        await page.close();
      } finally {
        await evil.stop(true);
      }

      const inspector = await openInspector();
      const withoutToken = await inspector.evaluate(async () => {
        const r = await fetch("/api/actors/counter-1/invoke", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ handler: "reset" }),
        });
        return { status: r.status, body: await r.json() };
      });
      expect(withoutToken).toMatchObject({ status: 403, body: { error: { code: "CSRF_REFUSED" } } });
      await inspector.close();
      expect(await state("counter-1")).toEqual(before);
    },
    TEST_TIMEOUT_MS,
  );
});
