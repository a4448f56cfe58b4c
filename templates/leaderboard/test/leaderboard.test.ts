import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type BoardV1, leaderboard, MAX_LIMIT, type Score } from "../actors/leaderboard.ts";
import { actor, client, Fabric, LIMITS, StateTooLargeError } from "../durable/index.ts";
import { createTestFabric, type TestFabric } from "../durable/testing.ts";

let fabric: TestFabric;
beforeEach(() => {
  fabric = createTestFabric({ actors: [leaderboard, naiveBoard] });
});
afterEach(() => fabric.close());

const board = (id = "leaderboard-global") => client(leaderboard, fabric).get(id);

describe("leaderboard", () => {
  test("top lists the best scores first with their ranks", async () => {
    const b = board();
    await b.submit({ player: "ada", score: 30 });
    await b.submit({ player: "bob", score: 50 });
    await b.submit({ player: "cyd", score: 40 });
    expect((await b.top({ n: 2 })).map(({ rank, player, score }) => ({ rank, player, score }))).toEqual([
      { rank: 1, player: "bob", score: 50 },
      { rank: 2, player: "cyd", score: 40 },
    ]);
  });

  test("a player's best score counts; a lower one changes nothing", async () => {
    const b = board();
    expect(await b.submit({ player: "ada", score: 30 })).toEqual({
      player: "ada",
      best: 30,
      rank: 1,
      improved: true,
    });
    await b.submit({ player: "bob", score: 20 });
    expect(await b.submit({ player: "ada", score: 10 })).toEqual({
      player: "ada",
      best: 30,
      rank: 1,
      improved: false,
    });
    await b.submit({ player: "bob", score: 35 });
    expect(await b.rank({ player: "bob" })).toMatchObject({ rank: 1, score: 35 });
    expect(await b.rank({ player: "ada" })).toMatchObject({ rank: 2, score: 30 });
  });

  test("on a tie whoever reached the score first ranks higher", async () => {
    const b = board();
    await b.submit({ player: "late", score: 10 });
    fabric.clock.advance(1000);
    await b.submit({ player: "early", score: 5 });
    await b.submit({ player: "later", score: 10 });
    expect((await b.top()).map((e) => e.player)).toEqual(["late", "later", "early"]);
  });

  test("a player outside the top has no rank", async () => {
    await board().submit({ player: "ada", score: 1 });
    expect(await board().rank({ player: "zed" })).toEqual({
      player: "zed",
      rank: null,
      score: null,
      at: null,
    });
  });

  test("the board keeps only its top `limit`: lower scores fall off", async () => {
    const b = board();
    await b.configure({ limit: 3 });
    await b.submitMany({ scores: [1, 2, 3, 4, 5].map((score) => ({ player: `p${score}`, score })) });
    expect((await b.top({ n: 3 })).map((e) => e.player)).toEqual(["p5", "p4", "p3"]);
    expect(await b.submit({ player: "p0", score: 0 })).toMatchObject({ rank: null });
    expect((await fabric.state("leaderboard-global"))?.state).toMatchObject({ limit: 3 });
  });

  test("at the largest limit with the longest player ids the state stays inside DynamoDB's 400 KB item", async () => {
    const b = board();
    await b.configure({ limit: MAX_LIMIT });
    for (let batch = 0; batch < 2; batch++) {
      await b.submitMany({ scores: widestScores(MAX_LIMIT, batch) });
    }
    const record = await fabric.state("leaderboard-global");
    const bytes = new TextEncoder().encode(JSON.stringify(record?.state)).byteLength;
    expect((record?.state as { entries: unknown[] } | undefined)?.entries).toHaveLength(MAX_LIMIT);
    expect(bytes).toBeLessThan(LIMITS.inlineStateBytes);
    expect(record?.stateRef).toBeUndefined();
  });

  test("a board that kept every score outgrows its item (an S3 object on AWS: a round trip per call), then is refused at LIMITS.stateBytes", async () => {
    const naive = client(naiveBoard, fabric).get("naive-board-1");
    // Two batches of about 5.5 MB each (a sync call carries at most 6 MB): the second crosses 10 MB.
    const batch = Math.ceil(LIMITS.stateBytes / 2 / 90);
    await naive.submitMany({ scores: widestScores(batch, 0) });
    const large = await fabric.state("naive-board-1");
    expect(large?.stateRef).toBeDefined();
    const refused = await naive.submitMany({ scores: widestScores(batch, 1) }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StateTooLargeError);
    // The refused turn changed nothing.
    expect((await fabric.state("naive-board-1"))?.version).toBe(large?.version);
  });

  test("bad scores, players or limits are refused and change nothing", async () => {
    const b = board();
    await b.submit({ player: "ada", score: 1 });
    await expect(b.submit({ player: "ada", score: 1.5 })).rejects.toThrow("score must be an integer");
    await expect(b.submit({ player: "__proto__!", score: 1 })).rejects.toThrow("player must be");
    await expect(b.configure({ limit: MAX_LIMIT + 1 })).rejects.toThrow(
      `limit must be an integer from 1 to ${MAX_LIMIT}`,
    );
    expect((await fabric.state("leaderboard-global"))?.version).toBe(1);
  });
});

describe("seasons (schema 2)", () => {
  test("newSeason clears the board and counts up", async () => {
    const b = board();
    await b.submit({ player: "ada", score: 30 });
    expect(await b.season()).toEqual({ season: 1, entries: 1, submissions: 1 });
    expect(await b.newSeason()).toEqual({ season: 2 });
    expect(await b.season()).toEqual({ season: 2, entries: 0, submissions: 0 });
  });

  test("a board stored before seasons (schema 1) loads as season 1: a read migrates it in memory, a write commits it", async () => {
    const old = createTestFabric({ actors: [boardV1] });
    try {
      const id = "leaderboard-legacy";
      const stored: BoardV1 = {
        limit: 3,
        entries: [
          { player: "bob", score: 50, at: 1 },
          { player: "ada", score: 30, at: 2 },
        ],
        submissions: 2,
      };
      await client(boardV1, old).get(id).put(stored);
      expect(await old.state(id)).toMatchObject({ version: 1, schema: 1, state: stored });
      // The same storage, now served by the current code.
      const current = client(leaderboard, new Fabric({ ports: old.ports, actors: [leaderboard] })).get(id);
      expect(await current.season()).toEqual({ season: 1, entries: 2, submissions: 2 });
      expect(await old.state(id)).toMatchObject({ version: 1, schema: 1 });
      expect(await current.submit({ player: "cyd", score: 40 })).toMatchObject({ rank: 2 });
      expect(await old.state(id)).toMatchObject({
        version: 2,
        schema: 2,
        state: { season: 1, limit: 3, submissions: 3 },
      });
      expect((await current.top({ n: 3 })).map((e) => e.player)).toEqual(["bob", "cyd", "ada"]);
    } finally {
      old.close();
    }
  });
});

/** Scores with 64-character, hard-to-compress player ids: the worst case for the state size. */
function widestScores(count: number, batch: number): Score[] {
  return Array.from({ length: count }, (_, i) => ({
    player: `${crypto.randomUUID()}${crypto.randomUUID()}`.slice(0, 64),
    score: batch * count + i,
  }));
}

/** The board's code before seasons: what wrote the schema-1 records the migration reads. */
const boardV1 = actor("leaderboard", {
  state: (): BoardV1 => ({ limit: 1000, entries: [], submissions: 0 }),
  handlers: {
    put(ctx, input: BoardV1) {
      ctx.state = input;
    },
  },
});

/** What not to do: a board that remembers every score grows until the runtime refuses it. */
const naiveBoard = actor("naive-board", {
  state: () => ({ scores: [] as { player: string; score: number }[] }),
  handlers: {
    submitMany(ctx, input: { scores: Score[] }) {
      ctx.state.scores.push(...input.scores);
      return ctx.state.scores.length;
    },
  },
});
