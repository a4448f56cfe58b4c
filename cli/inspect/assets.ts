import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The page's files, served as they are: no build step, no framework. */
const PAGE_DIR = join(import.meta.dir, "page");
const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};
export const ASSETS = [
  "app.js",
  "api.js",
  "fleet-view.js",
  "actor-view.js",
  "actor-actions.js",
  "json-tree.js",
  "json-diff.js",
  "style.css",
  "icon.svg",
];

/**
 * Only this page's own files, scripts and styles; nothing inline, so a value that slipped into the
 * markup could not run. No page may frame it (clickjacking an unpark button).
 */
const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Headers every inspector answer carries. */
export const SAFE_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

export interface PageValues {
  /** The CSRF token every state-changing request must carry. */
  csrf: string;
  /** The target line, e.g. "stage prod (orders-prod, eu-west-1)". */
  target: string;
  kind: "local" | "stage";
}

/** The page with this server's token and target in its meta tags. */
export function pageResponse(values: PageValues): Response {
  const html = readFileSync(join(PAGE_DIR, "index.html"), "utf8")
    .replace("{{csrf}}", escapeHtml(values.csrf))
    .replace(/\{\{target\}\}/g, escapeHtml(values.target))
    .replace(/\{\{kind\}\}/g, values.kind);
  return new Response(html, {
    headers: {
      ...SAFE_HEADERS,
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": PAGE_POLICY,
    },
  });
}

/** One of the page's files, or undefined for any other name. */
export function assetResponse(name: string): Response | undefined {
  if (!ASSETS.includes(name)) return undefined;
  const type = TYPES[name.slice(name.lastIndexOf("."))] ?? "application/octet-stream";
  return new Response(readFileSync(join(PAGE_DIR, name)), {
    headers: { ...SAFE_HEADERS, "content-type": type },
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
