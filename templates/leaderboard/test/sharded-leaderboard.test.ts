import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { leaderboard } from "../actors/leaderboard.ts";
import { shardedLeaderboard } from "../actors/sharded-leaderboard.ts";
import { client } from "../durable/index.ts";
import { createTestFabric, type TestFabric } from "../durable/testing.ts";
import { mergeTop, shardFor, shardId } from "../lib/ranking.ts";

let fabric: TestFabric;
beforeEach(() => {
  fabric = createTestFabric({ actors: [leaderboard, shardedLeaderboard] });
});
afterEach(() => fabric.close());

const SHARDS = 4;
const players = Array.from({ length: 40 }, (_, i) => ({ player: `player-${i}`, score: (i * 37) % 101 }));

async function fill(): Promise<void> {
  const front = client(shardedLeaderboard, fabric).get("sharded-leaderboard-global");
  const single = client(leaderboard, fabric).get("leaderboard-reference");
  await front.configure({ shards: SHARDS });
  for (const s of players) {
    await front.submit(s);
    await single.submit(s);
  }
}

describe("sharded leaderboard", () => {
  test("players are spread over the shards by a stable hash of their id", async () => {
    await fill();
    const counts = await Promise.all(
      Array.from({ length: SHARDS }, async (_, i) => {
        const record = await fabric.state(shardId("global", i));
        const entries = (record?.state as { entries: { player: string }[] } | undefined)?.entries ?? [];
        for (const e of entries) expect(shardFor(e.player, SHARDS)).toBe(i);
        return entries.length;
      }),
    );
    expect(counts.reduce((a, b) => a + b, 0)).toBe(players.length);
    expect(counts.every((n) => n > 0)).toBe(true);
  });

  test("the merged top equals the top of one board with the same scores", async () => {
    await fill();
    const merged = await client(shardedLeaderboard, fabric).get("sharded-leaderboard-global").top({ n: 15 });
    const reference = await client(leaderboard, fabric).get("leaderboard-reference").top({ n: 15 });
    expect(merged).toEqual(reference);
  });

  test("a client can merge the shards itself and gets the same top", async () => {
    await fill();
    const shards = Array.from({ length: SHARDS }, (_, i) =>
      client(leaderboard, fabric).get(shardId("global", i)),
    );
    const clientSide = mergeTop(await Promise.all(shards.map((s) => s.top({ n: 10 }))), 10);
    expect(clientSide).toEqual(
      await client(shardedLeaderboard, fabric).get("sharded-leaderboard-global").top({ n: 10 }),
    );
  });

  test("a player's rank across shards equals their rank on one board", async () => {
    await fill();
    const front = client(shardedLeaderboard, fabric).get("sharded-leaderboard-global");
    const single = client(leaderboard, fabric).get("leaderboard-reference");
    for (const { player } of players.slice(0, 12)) {
      const expected = await single.rank({ player });
      expect(await front.rank({ player })).toEqual({ ...expected, exact: true });
    }
    expect(await front.rank({ player: "nobody" })).toMatchObject({ rank: null, exact: true });
  });

  test("a rank is flagged inexact when a full shard may have dropped players ahead of it", async () => {
    const front = client(shardedLeaderboard, fabric).get("sharded-leaderboard-global");
    await front.configure({ shards: 2, limit: 2 });
    const byShard = (shard: number) => players.filter((p) => shardFor(p.player, 2) === shard);
    const [low] = byShard(0);
    if (!low) throw new Error("no player hashes to shard 0");
    await front.submit({ player: low.player, score: 1 });
    for (const p of byShard(1).slice(0, 3)) await front.submit({ player: p.player, score: 100 });
    expect(await front.rank({ player: low.player })).toMatchObject({ rank: 3, exact: false });
  });

  test("the shard count cannot change once the board has scores", async () => {
    const front = client(shardedLeaderboard, fabric).get("sharded-leaderboard-global");
    await front.configure({ shards: 2 });
    await front.submit({ player: "ada", score: 1 });
    await expect(front.configure({ shards: 3 })).rejects.toThrow("already has scores in 2 shards");
  });
});
