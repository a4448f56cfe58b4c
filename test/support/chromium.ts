import { existsSync } from "node:fs";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { type TempDir, tempDir } from "./temp-dir.ts";
import { waitUntil } from "./wait-until.ts";

/**
 * Debian's Chromium (`.ci/run` installs it when missing), or the one `nix develop` names. Playwright
 * never downloads a browser here.
 */
export const CHROMIUM = process.env.DURABLE_TEST_CHROMIUM ?? "/usr/bin/chromium";

export interface Browser extends AsyncDisposable {
  context: BrowserContext;
}

/**
 * One headless Chromium with a fresh profile, for a whole test file: launching costs about a
 * second, so every test of the file opens its pages in this one. A missing browser fails the
 * file with the reason (never a skip).
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the browser tests need Debian's chromium (apt-get install chromium; .ci/run installs it)`,
    );
  }
  const profile: TempDir = tempDir("chromium-profile-");
  // Playwright takes the profile directory itself (as --user-data-dir) with a persistent context.
  const context = await chromium.launchPersistentContext(profile.path, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    async [Symbol.asyncDispose]() {
      await context.close();
      await profile[Symbol.asyncDispose]();
    },
  };
}

/** Waits until the element shows `text` (a substring, or a pattern its whole text matches). */
export async function shows(
  page: Page,
  selector: string,
  text: string | RegExp,
  timeout = 10_000,
): Promise<void> {
  await page.locator(selector, { hasText: text }).first().waitFor({ timeout });
}

/** Waits until the fleet table has exactly `n` rows (polled from here: the page's CSP forbids evaluated strings). */
export async function rowCount(page: Page, n: number, timeoutMs = 10_000): Promise<void> {
  const rows = page.locator("#fleet-table tbody tr");
  await waitUntil(async () => (await rows.count()) === n, {
    what: `${n} rows in the fleet table`,
    timeoutMs,
  });
}
