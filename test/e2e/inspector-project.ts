import { expect } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { durable } from "../support/cli-process.ts";

/**
 * A second actor type next to the template's counter, with a timer, so that the inspector has
 * types to filter by and a next timer to show.
 */
export const GAUGE_SOURCE = `import { actor } from "../durable/index.ts";

export const gauge = actor("gauge", {
  state: () => ({ readings: [] as number[] }),
  handlers: {
    record(ctx, input: { value: number }) {
      ctx.state.readings.push(input.value);
      ctx.setAlarm(10 * 60_000, { name: "flush" });
      return { readings: ctx.state.readings.length };
    },
  },
  alarm(ctx) {
    ctx.state.readings = [];
  },
});
`;

/** `durable init` of the counter template (no install) in `dir`, plus actors/gauge.ts; returns the project root. */
export async function inspectorProject(dir: string, name = "shop"): Promise<string> {
  const init = await durable(["init", name, "--template", "counter", "--no-install", "--no-git", "--yes"], {
    cwd: dir,
  });
  expect(init.code).toBe(0);
  const root = join(dir, name);
  writeFileSync(join(root, "actors", "gauge.ts"), GAUGE_SOURCE);
  return root;
}
