/**
 * `durable inspect --stage` in a real browser, against a stage on DynamoDB Local + fauxqs (the
 * function is the real Lambda handler behind the stage's endpoint). One Chromium for the file.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { runInspect } from "../../cli/commands/inspect.ts";
import { type Browser, launchChromium, rowCount, shows } from "../support/chromium.ts";
import { capturedContext } from "../support/cli-context.ts";
import { ENV, type FleetStage, openFleetStage } from "./fleet-stage-fixture.ts";

/** Browsers and emulators on a shared 2-core machine: generous, so a slow moment is not a failure. */
const TEST_TIMEOUT_MS = 30_000;

let stage: FleetStage;
let browser: Browser;
let url: string;
const stop = new AbortController();
let inspecting: Promise<void>;
let output: () => string;

/** `durable inspect --stage ops --port 0` in this process, until the file's tests are done. */
function startInspect(root: string): Promise<string> {
  const captured = capturedContext(root, ENV, stop.signal);
  output = captured.output;
  return new Promise((resolve, reject) => {
    inspecting = runInspect({ stage: "ops", port: "0" }, captured.ctx, resolve);
    inspecting.catch(reject);
  });
}

async function count(actorId: string): Promise<number> {
  const record = await stage.ports.store.read(actorId);
  return (record?.state as { count: number } | undefined)?.count ?? 0;
}

async function open(hash = ""): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`${url}${hash}`);
  await page.waitForSelector("body[data-ready]");
  return page;
}

beforeAll(async () => {
  [stage, browser] = await Promise.all([openFleetStage("inspector-stage"), launchChromium()]);
  await stage.call("counter-1", "increment", { by: 2 });
  await stage.call("gauge-1", "record", { value: 4 });
  await stage.park("counter-2", "increment", { by: 1.5 }, [{ by: 3 }]);
  url = await startInspect(stage.root);
}, 60_000);

afterAll(async () => {
  stop.abort();
  await inspecting;
  await browser?.[Symbol.asyncDispose]();
  await stage?.close();
});

describe("durable inspect --stage", () => {
  test(
    "says which stage it reads and lists the actors from the fleet index, parked first, without a Scan",
    async () => {
      expect(output()).toContain("→ stage ops (shop-ops");
      expect(output()).toContain(`durable inspect on ${url}`);
      stage.endpoint.dynamodbRequests.length = 0;
      const page = await open();
      expect(await page.textContent("header .kind")).toBe("stage");
      expect(await page.locator("#fleet-table tbody tr th").allTextContents()).toEqual([
        "counter-2",
        "counter-1",
        "gauge-1",
      ]);
      expect(await page.locator('tr[data-actor="gauge-1"] td').nth(4).textContent()).toMatch(/^\d{4}-/);
      expect(stage.endpoint.dynamodbRequests.filter((r) => r.operation === "Scan")).toEqual([]);
      await page.check("#filter-parked");
      await page.click("#filters button[type=submit]");
      await rowCount(page, 1);
      await page.close();
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "says a stage keeps only the latest version, and picks up a new one by polling",
    async () => {
      const page = await open("#actor=counter-1");
      await shows(page, "#versions-kept", "keeps only the latest version");
      await shows(page, "#actor-live", "read again every 2 s");
      await stage.call("counter-1", "increment", { by: 5 });
      await shows(page, "#actor-summary", /^version 2 /);
      await shows(page, "#diff", "~ changed count: 2 → 7");
      await page.close();
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "invokes only after the confirmation: Cancel sends nothing, Confirm runs it on the stage",
    async () => {
      const page = await open("#actor=counter-1");
      const before = await count("counter-1");
      await page.fill("#invoke-input", '{ "by": 10 }');
      await page.click("#invoke button[type=submit]");
      await page.waitForSelector("#confirm[open]");
      expect(await page.textContent("#confirm-text")).toContain(
        "Invoke increment on counter-1 (sync) on stage ops (shop-ops",
      );
      expect(await page.evaluate("document.activeElement?.id")).toBe("confirm-cancel");
      await page.keyboard.press("Enter");
      await shows(page, "#invoke-result", "Not invoked.");
      expect(await count("counter-1")).toBe(before);

      await page.click("#invoke button[type=submit]");
      await page.click("#confirm-ok");
      await shows(page, "#invoke-result", `"count": ${before + 10}`);
      expect(await count("counter-1")).toBe(before + 10);
      await page.close();
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "shows the parked actor's dead letter from the SQS DLQ, and unparks it after the confirmation",
    async () => {
      const page = await open("#actor=counter-2");
      await page.waitForSelector("#letters tbody tr");
      expect(await page.locator("#letters tbody").textContent()).toContain("counter-2-poison");
      expect(await page.locator("#waiting tbody tr").count()).toBe(1);

      // The server insists on the confirmation too: a change without it is refused.
      const unconfirmed = await page.evaluate(`(async () => {
      const token = document.querySelector('meta[name="csrf-token"]').content;
      const r = await fetch("/api/actors/counter-2/unpark", {
        method: "POST", headers: { "content-type": "application/json", "x-csrf-token": token }, body: "{}",
      });
      return { status: r.status, body: await r.json() };
    })()`);
      expect(unconfirmed).toMatchObject({ status: 428, body: { error: { code: "CONFIRMATION_REQUIRED" } } });

      await page.click("#unpark");
      await page.click("#confirm-ok");
      await shows(page, "#actor-action-result", "1 message(s) were waiting, 1 ran in order");
      expect(await count("counter-2")).toBe(3);
      expect((await stage.ports.store.read("counter-2"))?.parked).toBeNull();
      await page.close();
    },
    TEST_TIMEOUT_MS,
  );
});
