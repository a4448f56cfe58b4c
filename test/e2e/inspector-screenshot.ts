import type { Page } from "playwright-core";

/** Every ISO time on the page becomes this one, so the saved image changes only when the page does. */
const FIXED_TIME = "2026-01-15T09:30:00.000Z";
const ISO_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g;

/**
 * Saves the actor view (the `#actor` section) as a PNG at `path`, with the times normalized and
 * the caret and focus ring out of the way. Returns the image's size in CSS pixels.
 */
export async function saveActorScreenshot(
  page: Page,
  path: string,
): Promise<{ width: number; height: number }> {
  // A string, not a function: this file is type-checked without the DOM library.
  await page.evaluate(`(() => {
    const iso = new RegExp(${JSON.stringify(ISO_TIME.source)}, "g");
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      node.textContent = node.textContent.replace(iso, ${JSON.stringify(FIXED_TIME)});
    }
    document.activeElement?.blur();
  })()`);
  const section = page.locator("#actor");
  await section.screenshot({ path, animations: "disabled", caret: "hide" });
  const box = await section.boundingBox();
  return { width: box?.width ?? 0, height: box?.height ?? 0 };
}
