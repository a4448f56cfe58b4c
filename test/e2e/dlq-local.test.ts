import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CliRun, DURABLE_BIN, durable, userEnv } from "../support/cli-process.ts";
import { type TempDir, tempDir } from "../support/temp-dir.ts";
import { waitUntil } from "../support/wait-until.ts";

/**
 * `durable dlq` on the local fabric, through the real bin in a generated project. The project's
 * ledger actor refuses "bad…" entries while LEDGER_BROKEN=1 (the bug an operator fixes by
 * deploying) and stalls on them while LEDGER_SLOW_FILE is set (writing its pid there first); its
 * order.paid route throws while ROUTE_BROKEN=1. consume.ts is the queue worker
 * `durable dev` runs, started only when the test wants queued messages applied.
 */
const LEDGER = `import { writeFileSync } from "node:fs";
import { actor } from "../durable/index.ts";

export const ledger = actor("ledger", {
  state: () => ({ entries: [] as string[] }),
  handlers: {
    async append(ctx, input: { entry: string }) {
      if (input.entry.startsWith("bad") && process.env.LEDGER_BROKEN === "1")
        throw new Error(\`entry \${input.entry} refused\`);
      if (input.entry.startsWith("bad") && process.env.LEDGER_SLOW_FILE) {
        writeFileSync(process.env.LEDGER_SLOW_FILE, String(process.pid));
        await new Promise((resolve) => setTimeout(resolve, 120_000));
      }
      ctx.state.entries.push(input.entry);
      return { entries: ctx.state.entries.length };
    },
    pay(ctx, input: { entry: string; region: string }) {
      ctx.signal("order.paid", input);
    },
  },
  signals: {
    "order.paid": {
      to: (detail) => {
        if (process.env.ROUTE_BROKEN === "1") throw new Error("no region table yet");
        return \`ledger-\${(detail as { region: string }).region}\`;
      },
      handler: "append",
    },
  },
});
`;

const CONSUME = `import { Fabric } from "./durable/index.ts";
import { openLocalPorts } from "./durable/adapters/local/index.ts";
import { drainQueue } from "./durable/core/queue-worker.ts";
import { ledger } from "./actors/ledger.ts";
const ports = openLocalPorts({ path: ".durable/local.db" });
const fabric = new Fabric({ ports, actors: [ledger], routeSignals: true });
const [command, actorId = "", ...entries] = process.argv.slice(2);
for (const entry of entries) {
  const handler = command === "pay" ? "pay" : "append";
  const input = command === "pay" ? { entry, region: "eu" } : { entry };
  await fabric.invoke({ actorId, handler, input, messageId: \`\${actorId}-\${entry}\`, mode: "async" });
}
await drainQueue(fabric, ports.queue);
ports.close();
`;

interface LedgerProject {
  dir: TempDir;
  root: string;
  /** Queues `entries` for `actorId` (ids `<actorId>-<entry>`) and applies the queue. */
  send(actorId: string, entries: string[], env?: Record<string, string>): void;
  pay(actorId: string, entry: string, env?: Record<string, string>): void;
  cli(args: string[], env?: Record<string, string>): Promise<CliRun>;
  json<T>(args: string[]): Promise<T>;
  entries(actorId: string): Promise<string[]>;
  deadLetterRows(): Record<string, unknown>[];
}

async function ledgerProject(): Promise<LedgerProject> {
  const dir = tempDir("dlq-");
  const init = await durable(
    ["init", "ledger", "--template", "counter", "--no-install", "--no-git", "--yes"],
    {
      cwd: dir.path,
    },
  );
  expect(init.code).toBe(0);
  const root = join(dir.path, "ledger");
  writeFileSync(join(root, "actors", "ledger.ts"), LEDGER);
  writeFileSync(join(root, "consume.ts"), CONSUME);
  const consume = (args: string[], env: Record<string, string> = {}) => {
    const run = Bun.spawnSync({
      cmd: [process.execPath, "consume.ts", ...args],
      cwd: root,
      env: userEnv(env),
    });
    expect(run.exitCode).toBe(0);
  };
  const cli = (args: string[], env: Record<string, string> = {}) => durable(args, { cwd: root, env });
  const json = async <T>(args: string[]): Promise<T> => {
    const run = await cli([...args, "--json"]);
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout) as T;
  };
  return {
    dir,
    root,
    send: (actorId, entries, env) => consume(["send", actorId, ...entries], env),
    pay: (actorId, entry, env) => consume(["pay", actorId, entry], env),
    cli,
    json,
    entries: async (actorId) =>
      (await json<{ state: { entries: string[] } }>(["state", "get", actorId])).state.entries,
    deadLetterRows: () => {
      const db = new Database(join(root, ".durable", "local.db"), { readonly: true });
      try {
        return db.query("SELECT * FROM dead_letters ORDER BY seq").all() as Record<string, unknown>[];
      } finally {
        db.close();
      }
    },
  };
}

interface ListedLetter {
  messageId: string;
  dlq: string;
  actorId: string | null;
  handler: string | null;
  reason: string;
  firstFailedAt: string;
  receiveCount: number | null;
  redrivable: boolean;
}

const BROKEN = { LEDGER_BROKEN: "1" };

describe("durable dlq on the local fabric", () => {
  test("list shows id, actor, handler, reason, first failure time and receive count (human, --json, --actor); show prints the body and the error", async () => {
    const p = await ledgerProject();
    await using _ = p.dir;
    p.send("ledger-1", ["bad", "f1"], BROKEN);
    p.send("ledger-2", ["bad2"], BROKEN);

    const list = await p.cli(["dlq", "list"]);
    expect(list.code).toBe(0);
    expect(list.stderr).toContain("→ local fabric (.durable/local.db)");
    expect(list.stdout).toMatch(/MESSAGE ID\s+DLQ\s+ACTOR\s+HANDLER\s+FIRST FAILED\s+RECEIVES\s+REASON/);
    expect(list.stdout).toMatch(
      /ledger-1-bad\s+actors\s+ledger-1\s+append\s+\d{4}-\d\d-\d\dT[\d:.]+Z\s+5\s+HANDLER_FAILED: entry bad refused/,
    );
    expect(list.stdout).not.toContain("\x1b["); // no TTY: no colours

    const { letters } = await p.json<{ letters: ListedLetter[] }>(["dlq", "list"]);
    expect(letters.map((l) => l.messageId)).toEqual(["ledger-1-bad", "ledger-2-bad2"]);
    expect(letters[0]).toMatchObject({
      dlq: "actors",
      actorId: "ledger-1",
      handler: "append",
      reason: "HANDLER_FAILED: entry bad refused",
      receiveCount: 5,
      redrivable: true,
    });
    expect(new Date(letters[0]?.firstFailedAt ?? "").toISOString()).toBe(letters[0]?.firstFailedAt ?? "");
    const mine = await p.json<{ letters: ListedLetter[] }>(["dlq", "list", "--actor", "ledger-2"]);
    expect(mine.letters.map((l) => l.messageId)).toEqual(["ledger-2-bad2"]);

    const shown = await p.json<ListedLetter & { body: { input: unknown } }>(["dlq", "show", "ledger-1-bad"]);
    expect(shown).toMatchObject({ messageId: "ledger-1-bad", reason: "HANDLER_FAILED: entry bad refused" });
    expect(shown.body.input).toEqual({ entry: "bad" });
    const human = await p.cli(["dlq", "show", "ledger-1-bad"]);
    expect(human.stdout).toContain("error:        HANDLER_FAILED: entry bad refused");
    expect(human.stdout).toContain('"entry": "bad"');

    const missing = await p.cli(["dlq", "show", "nope"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("error: no dead letter nope in local fabric (.durable/local.db)");
  }, 60_000);

  test("redrive keeps order: the poison goes back ahead of its followers and runs once, first; without --unpark the actor stays parked and the output says how to go on", async () => {
    const p = await ledgerProject();
    await using _ = p.dir;
    p.send("ledger-1", ["bad", "f1", "f2"], BROKEN);
    expect(await p.entries("ledger-1")).toEqual([]);

    // The fix is deployed (LEDGER_BROKEN unset); without --unpark the poison only goes back.
    const put = await p.cli(["dlq", "redrive", "ledger-1-bad"]);
    expect(put.code).toBe(0);
    expect(put.stdout).toContain("ledger-1: 1 put back ahead of its later messages, 0 ran in order");
    expect(put.stdout).toContain("still parked; run durable state unpark ledger-1 or redrive with --unpark");
    expect(p.deadLetterRows()).toEqual([]);
    expect(await p.entries("ledger-1")).toEqual([]);

    const unpark = await p.cli(["state", "unpark", "ledger-1"]);
    expect(unpark.code).toBe(0);
    expect(await p.entries("ledger-1")).toEqual(["bad", "f1", "f2"]);

    // With --unpark it runs at once, ahead of the followers held behind it.
    p.send("ledger-2", ["bad", "g1", "g2"], BROKEN);
    const now = await p.json<{
      outcomes: { actorId: string; unparked: boolean; result: { drained: number } }[];
    }>(["dlq", "redrive", "--actor", "ledger-2", "--unpark"]);
    expect(now.outcomes).toMatchObject([{ actorId: "ledger-2", unparked: true, result: { drained: 3 } }]);
    expect(await p.entries("ledger-2")).toEqual(["bad", "g1", "g2"]);
    expect((await p.json<{ parked: unknown }>(["state", "get", "ledger-2"])).parked).toBeNull();
  }, 60_000);

  test("redriving twice applies nothing twice: after a crash between the redrive's commit and the DLQ delete, and when the letter is put back again", async () => {
    const p = await ledgerProject();
    await using _ = p.dir;
    p.send("ledger-3", ["bad", "f1"], BROKEN);
    const [row] = p.deadLetterRows();
    expect(row).toMatchObject({ message_id: "ledger-3-bad" });

    // A crash after the commit: the redrive (with --unpark) committed and its drain is running the
    // poison when the CLI process is killed, before it could delete the letter.
    const marker = join(p.dir.path, "slow-started");
    const crashed = Bun.spawn({
      cmd: [DURABLE_BIN, "dlq", "redrive", "--all", "--unpark"],
      cwd: p.root,
      env: userEnv({ LEDGER_SLOW_FILE: marker }),
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      await waitUntil(async () => existsSync(marker) && readFileSync(marker, "utf8") !== "", {
        what: "the redriven poison's handler to start",
        timeoutMs: 30_000,
      });
      // The Bun process that runs the CLI (its pid, written by the handler), not the node launcher.
      process.kill(Number(readFileSync(marker, "utf8")), "SIGKILL");
    } finally {
      if (crashed.exitCode === null) crashed.kill();
      await crashed.exited;
    }
    expect(p.deadLetterRows()).toHaveLength(1);
    expect(await p.entries("ledger-3")).toEqual([]);

    // Redriving again (once the dead process's lease ran out) runs it and its follower once each.
    const again = await p.cli(["dlq", "redrive", "--all", "--unpark"]);
    expect(again.code).toBe(0);
    expect(await p.entries("ledger-3")).toEqual(["bad", "f1"]);
    expect(p.deadLetterRows()).toEqual([]);

    // The same letter back in the DLQ after it was applied (the state a crash right after the drain
    // leaves): redriving it is left out as already applied, and removes it.
    const db = new Database(join(p.root, ".durable", "local.db"), { strict: true });
    db.query(
      "INSERT INTO dead_letters (actor_id, body, receive_count, reason, at, message_id) VALUES ($actor_id, $body, $receive_count, $reason, $at, $message_id)",
    ).run({
      actor_id: String(row?.actor_id),
      body: String(row?.body),
      receive_count: Number(row?.receive_count),
      reason: String(row?.reason),
      at: Number(row?.at),
      message_id: String(row?.message_id),
    });
    db.close();
    const twice = await p.cli(["dlq", "redrive", "ledger-3-bad", "--unpark"]);
    expect(twice.code).toBe(0);
    expect(twice.stdout).toContain("ledger-3: 1 already applied (left out), 0 ran in order");
    expect(await p.entries("ledger-3")).toEqual(["bad", "f1"]);
    expect(p.deadLetterRows()).toEqual([]);
  }, 90_000);

  test("a failed signal route is routed again once fixed; an unusable body is not redriven and says why", async () => {
    const p = await ledgerProject();
    await using _ = p.dir;
    p.pay("ledger-p", "paid1", { ROUTE_BROKEN: "1" });
    // A row no turn can run, as if written into the file by hand: the queue dead-letters it raw.
    const db = new Database(join(p.root, ".durable", "local.db"), { strict: true });
    db.query(
      "INSERT INTO messages (id, actor_id, body, visible_at) VALUES ('raw-1', 'ledger-x', '{\"actorId\":\"ledger-x\"}', 0)",
    ).run();
    db.close();
    p.send("ledger-x", []);

    const { letters } = await p.json<{ letters: ListedLetter[] }>(["dlq", "list"]);
    expect(letters).toHaveLength(2);
    const [route, raw] = letters;
    expect(route).toMatchObject({
      actorId: "ledger",
      handler: "append",
      reason: "the ledger route of signal order.paid threw: no region table yet",
      redrivable: true,
    });
    expect(raw).toMatchObject({ actorId: "ledger-x", redrivable: false });
    expect(raw?.reason).toStartWith("unusable message:");

    const redrive = await p.cli(["dlq", "redrive", "--all"]);
    expect(redrive.code).toBe(0);
    expect(redrive.stdout).toContain(
      `signal route ${route?.messageId} (order.paid): routed again to ledger-eu`,
    );
    expect(redrive.stdout).toContain(`${raw?.messageId}: its body is not a message the fabric can run`);
    expect(await p.entries("ledger-eu")).toEqual(["paid1"]);
    expect(
      (await p.json<{ letters: ListedLetter[] }>(["dlq", "list"])).letters.map((l) => l.messageId),
    ).toEqual([raw?.messageId ?? ""]);
    // Named by its id, a letter that cannot be redriven fails the command.
    const named = await p.cli(["dlq", "redrive", raw?.messageId ?? ""]);
    expect(named.code).toBe(1);
    expect(named.stderr).toContain("1 dead letter(s) were not redriven");
  }, 60_000);

  test("purge refuses without --yes when there is no terminal and changes nothing; --yes --actor purges only that actor's letters", async () => {
    const p = await ledgerProject();
    await using _ = p.dir;
    p.send("ledger-1", ["bad"], BROKEN);
    p.send("ledger-2", ["bad"], BROKEN);
    const refused = await p.cli(["dlq", "purge"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "error: purging dead letters needs confirmation and there is no terminal to ask on (pass --yes to confirm)",
    );
    expect(p.deadLetterRows()).toHaveLength(2);

    const one = await p.json<{ purged: number; messageIds: string[] }>([
      "dlq",
      "purge",
      "--actor",
      "ledger-1",
      "--yes",
    ]);
    expect(one).toMatchObject({ purged: 1, messageIds: ["ledger-1-bad"] });
    expect(p.deadLetterRows().map((r) => r.message_id)).toEqual(["ledger-2-bad"]);
    const rest = await p.cli(["dlq", "purge", "--yes"]);
    expect(rest.stdout).toContain("purged 1 dead letter(s)");
    expect(p.deadLetterRows()).toEqual([]);
  }, 60_000);
});
