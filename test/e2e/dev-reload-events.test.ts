import { expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { durable, startDev } from "../support/cli-process.ts";
import { tempDir } from "../support/temp-dir.ts";

test("durable dev streams committed versions as server-sent events and reloads actors when their file changes", async () => {
  await using dir = tempDir("dev-reload-");
  expect(
    (
      await durable(["init", "counter", "--template", "counter", "--no-git", "--no-install"], {
        cwd: dir.path,
      })
    ).code,
  ).toBe(0);
  const project = join(dir.path, "counter");
  await using dev = await startDev(project);

  const events = await fetch(`${dev.url}/events?actor=counter-1`);
  expect(events.headers.get("content-type")).toContain("text/event-stream");
  const reader = (events.body as ReadableStream<Uint8Array>).getReader();
  await reader.read(); // ": connected"
  await Bun.sleep(200); // the feed takes its starting point on its first poll
  await fetch(`${dev.url}/actors/counter-2/increment`, { method: "POST", body: "{}" });
  await fetch(`${dev.url}/actors/counter-1/increment`, { method: "POST", body: '{"by":4}' });
  let text = "";
  while (!text.includes("\n\n")) text += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  const data = JSON.parse(text.split("data: ")[1]?.split("\n")[0] ?? "") as {
    actorId: string;
    version: number;
    state: { count: number };
  };
  expect(data).toMatchObject({ actorId: "counter-1", version: 1, state: { count: 4 } });

  const missing = await fetch(`${dev.url}/actors/counter-1/double`, { method: "POST", body: "{}" });
  expect(missing.status).toBe(404);
  const file = join(project, "actors", "counter.ts");
  writeFileSync(
    file,
    readFileSync(file, "utf8").replace(
      "    reset(ctx) {",
      "    double(ctx) {\n      ctx.state.count *= 2;\n      return { count: ctx.state.count };\n    },\n    reset(ctx) {",
    ),
  );
  let answer: Response | undefined;
  for (let i = 0; i < 50; i++) {
    await Bun.sleep(100);
    answer = await fetch(`${dev.url}/actors/counter-1/double`, { method: "POST", body: "{}" });
    if (answer.status === 200) break;
  }
  expect(answer?.status).toBe(200);
  expect(await answer?.json()).toMatchObject({ result: { count: 8 }, version: 2 });
});
