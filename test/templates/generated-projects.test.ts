import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { JsonValue } from "../../runtime/core/json.ts";
import { startDev } from "./dev-server.ts";
import {
  DURABLE_BIN,
  limiter,
  type RunResult,
  run,
  TEMPLATE_NAMES,
  type TempDir,
  type TemplateName,
  tempDir,
} from "./fixtures.ts";
import { SCENARIOS } from "./scenarios.ts";

/**
 * Every template as a user gets it: `durable init` through the real CLI without a TTY, then the
 * project's own `npm test`, then a session of `npx durable` commands inside it. Each template's
 * pipeline starts in beforeAll and they run side by side; the tests await their stage.
 */
interface Pipeline {
  dir: string;
  init: Promise<RunResult>;
  npmTest: Promise<RunResult>;
  scenario: Promise<void>;
}

let root: TempDir;
const pipelines = new Map<TemplateName, Pipeline>();

/**
 * Stages wait for inits and test runs sharing two CPUs; Bun's 5 s default would cut them off. Each
 * init installs the packed CLI with its dependencies (CDK, the AWS SDK, Bun: about 430 MB) as a
 * user's project gets them, which takes 15-40 s apiece on a loaded machine.
 */
const STAGE_TIMEOUT_MS = 240_000;

/** leaderboard is created the way `durable init --template leaderboard` is typed: no dir, in the cwd. */
const NO_DIR_FORM: TemplateName = "leaderboard";

function start(name: TemplateName, slot: <T>(task: () => Promise<T>) => Promise<T>): Pipeline {
  const dir = join(root.path, name);
  const args = name === NO_DIR_FORM ? ["init", "--template", name] : ["init", dir, "--template", name];
  const init = slot(() => run([DURABLE_BIN, ...args], root.path));
  const npmTest = init.then((r) => {
    if (r.code !== 0) throw new Error(`init failed: ${r.stderr}`);
    return slot(() => run(["npm", "test"], dir));
  });
  const scenario = init.then(() => slot(() => SCENARIOS[name].run(dir)));
  // Each stage is awaited by its test; until then a failure must not count as unhandled.
  for (const stage of [init, npmTest, scenario]) stage.catch(() => undefined);
  return { dir, init, npmTest, scenario };
}

function pipeline(name: TemplateName): Pipeline {
  const p = pipelines.get(name);
  if (!p) throw new Error(`no pipeline for ${name}`);
  return p;
}

beforeAll(async () => {
  root = await tempDir("durable-templates-");
  const slot = limiter(3);
  // The longest sessions first; durable dev waits for circuit-breaker's.
  const order = [...TEMPLATE_NAMES].sort((a, b) => SCENARIOS[b].cliCalls - SCENARIOS[a].cliCalls);
  for (const name of order) pipelines.set(name, start(name, slot));
});

afterAll(async () => {
  await Promise.allSettled([...pipelines.values()].flatMap((p) => [p.npmTest, p.scenario]));
  await root[Symbol.asyncDispose]();
});

describe("durable init --template <name> (no TTY) and the generated project", () => {
  test.each(TEMPLATE_NAMES)(
    "%s: init creates a complete project and its own npm test passes",
    async (name) => {
      const { dir, init, npmTest } = pipeline(name);
      const created = await init;
      expect(created.stderr).not.toContain("error");
      expect(created.code).toBe(0);
      for (const file of [
        "durable.config.ts",
        "README.md",
        ".gitignore",
        "durable/index.ts",
        "node_modules/.bin/durable",
        ".git",
      ]) {
        expect(existsSync(join(dir, file))).toBe(true);
      }
      expect(existsSync(join(dir, "_gitignore"))).toBe(false);
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        name: string;
        scripts: Record<string, string>;
      };
      expect(pkg).toMatchObject({
        name,
        scripts: { dev: "durable dev", test: "durable test", deploy: "durable deploy" },
      });
      const tested = await npmTest;
      if (tested.code !== 0)
        throw new Error(`npm test failed in ${name}:\n${tested.stdout}\n${tested.stderr}`);
      expect(`${tested.stdout}${tested.stderr}`).toMatch(/\b0 fail\b/);
    },
    STAGE_TIMEOUT_MS,
  );

  test(
    "durable init --template leaderboard without a dir creates ./leaderboard in the current directory",
    async () => {
      const created = await pipeline(NO_DIR_FORM).init;
      expect(created.code).toBe(0);
      expect(created.stdout + created.stderr).toContain("created leaderboard from the leaderboard template");
      expect(existsSync(join(root.path, "leaderboard", "actors", "leaderboard.ts"))).toBe(true);
    },
    STAGE_TIMEOUT_MS,
  );
});

describe("a session of npx durable commands in each generated project", () => {
  for (const name of TEMPLATE_NAMES) {
    test(
      SCENARIOS[name].title,
      async () => {
        await pipeline(name).scenario;
      },
      STAGE_TIMEOUT_MS,
    );
  }
});

describe("durable dev", () => {
  test(
    "circuit-breaker: an open circuit half-opens when its timer fires under durable dev",
    async () => {
      const { dir, scenario } = pipeline("circuit-breaker");
      await scenario;
      await using dev = await startDev(dir);
      await dev.call("breaker-search", "configure", { failureThreshold: 1, openMs: 400 });
      expect(await dev.call("breaker-search", "record", { ok: false })).toMatchObject({ status: "open" });
      const record = await dev.waitForState("breaker-search", (s) => s.status === "half-open", 5_000);
      expect(record.timers).toEqual({});
      // The signals reached the subscribing alerts actor through the dev fabric, and their fabric
      // times show the timer did not fire before openMs.
      const alerts = await dev.waitForState(
        "alerts-ops",
        (s) => eventsOf(s, "breaker-search").includes("half-open"),
        5_000,
      );
      const events = (alerts.state.events as CircuitEvent[]).filter((e) => e.breaker === "breaker-search");
      const at = (status: string) => events.find((e) => e.status === status)?.at ?? Number.NaN;
      expect(at("half-open") - at("open")).toBeGreaterThanOrEqual(400);
    },
    STAGE_TIMEOUT_MS,
  );
});

type CircuitEvent = { breaker: string; status: string; at: number };

function eventsOf(state: Record<string, JsonValue>, breaker: string): string[] {
  const events = Array.isArray(state.events) ? (state.events as CircuitEvent[]) : [];
  return events.filter((e) => e.breaker === breaker).map((e) => e.status);
}
