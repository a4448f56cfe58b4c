import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const TEMPLATES = [
  {
    name: "counter",
    description: "increment, get and reset a counter; sync and async calls, a tail of its versions",
  },
  { name: "rate-limiter", description: "a token bucket per key that never admits more than it allows" },
  { name: "leaderboard", description: "scores, top N and ranks, sharded across actors to stay under 400 KB" },
  {
    name: "order-processing",
    description: "a workflow over order, inventory and payment actors with compensation",
  },
  { name: "distributed-cron", description: "cron jobs as named timers, each run once per scheduled time" },
  { name: "circuit-breaker", description: "closed, open and half-open per downstream, reopened by a timer" },
] as const;

export type TemplateName = (typeof TEMPLATES)[number]["name"];

export const TEMPLATE_NAMES: readonly string[] = TEMPLATES.map((t) => t.name);

export function isTemplateName(name: string): name is TemplateName {
  return TEMPLATE_NAMES.includes(name);
}

/** The root of this package (the folder with package.json, cli/, runtime/ and templates/). */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

export function templateDir(name: TemplateName): string {
  return join(PACKAGE_ROOT, "templates", name);
}

export function templateExists(name: TemplateName): boolean {
  return existsSync(join(templateDir(name), "durable.config.ts"));
}
