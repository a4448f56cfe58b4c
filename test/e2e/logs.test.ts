import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { followStageTurns } from "../../cli/stage-logs.ts";
import type { TurnLogEntry } from "../../runtime/core/turn.ts";
import { DURABLE_BIN, durable, userEnv } from "../support/cli-process.ts";
import { motoServer } from "../support/moto.ts";
import { tempDir } from "../support/temp-dir.ts";

describe("durable logs", () => {
  test("locally it follows the turns of other processes, filtered by --actor, as JSON lines", async () => {
    await using dir = tempDir("logs-");
    expect(
      (
        await durable(["init", "counter", "--template", "counter", "--no-git", "--no-install"], {
          cwd: dir.path,
        })
      ).code,
    ).toBe(0);
    const project = join(dir.path, "counter");
    const follower = Bun.spawn({
      cmd: [DURABLE_BIN, "logs", "--actor", "counter-9", "--json"],
      cwd: project,
      env: userEnv(),
      stdout: "pipe",
      stderr: "pipe",
    });
    await Bun.sleep(1000); // let it take its starting offset
    expect((await durable(["invoke", "counter-8", "--sync"], { cwd: project })).code).toBe(0);
    expect((await durable(["invoke", "counter-9", "--sync"], { cwd: project })).code).toBe(0);
    const reader = follower.stdout.getReader();
    const { value } = await reader.read();
    follower.kill("SIGINT");
    const line = JSON.parse(new TextDecoder().decode(value).split("\n")[0] ?? "") as TurnLogEntry;
    expect(line).toMatchObject({
      type: "turn",
      actorId: "counter-9",
      handlers: ["increment"],
      version: 1,
      outcome: "committed",
    });
    expect(line.epoch).toBeGreaterThan(0);
    expect(await follower.exited).not.toBeNull();
  });

  test("on a stage it reads the function's CloudWatch Logs (moto) and keeps only that actor's turn lines", async () => {
    const moto = await motoServer();
    const client = new CloudWatchLogsClient(moto.clientConfig());
    const logGroupName = "/aws/lambda/app-test-handler";
    await client.send(new CreateLogGroupCommand({ logGroupName }));
    await client.send(new CreateLogStreamCommand({ logGroupName, logStreamName: "s1" }));
    const turn = (actorId: string, version: number) =>
      `2026-11-27T05:00:00.000Z\treq-1\tINFO\t${JSON.stringify({ type: "turn", actorId, actorType: "counter", handlers: ["increment"], messages: 1, version, epoch: 3, leaseWaitMs: 0, durationMs: 4, retries: 0, outcome: "committed" })}`;
    const now = Date.now();
    await client.send(
      new PutLogEventsCommand({
        logGroupName,
        logStreamName: "s1",
        logEvents: [
          { timestamp: now, message: turn("counter-1", 1) },
          { timestamp: now + 1, message: "START RequestId: req-1" },
          { timestamp: now + 2, message: turn("counter-2", 1) },
          { timestamp: now + 3, message: turn("counter-1", 2) },
        ],
      }),
    );
    const seen: TurnLogEntry[] = [];
    const stop = new AbortController();
    await followStageTurns(
      { region: "us-east-1", functionName: "app-test-handler" },
      "counter-1",
      (e) => {
        seen.push(e);
        if (seen.length === 2) stop.abort();
      },
      stop.signal,
      { client, startTime: now - 1000, pollMs: 50 },
    );
    expect(seen.map((e) => [e.actorId, e.version])).toEqual([
      ["counter-1", 1],
      ["counter-1", 2],
    ]);
  });
});
