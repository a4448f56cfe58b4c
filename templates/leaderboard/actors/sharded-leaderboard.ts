import { actor, InvalidInputError } from "../durable/index.ts";
import { mergeTop, type RankedEntry, shardFor, shardId } from "../lib/ranking.ts";
import type { CountAhead, PlayerRank, Score, SubmitResult } from "./leaderboard.ts";

const MAX_SHARDS = 64;
const PREFIX = "sharded-leaderboard-";

/**
 * The front of a board split across shards: `sharded-leaderboard-global` routes each player to
 * `leaderboard-global-<hash(player) % shards>` and merges the shards with ctx.call. Each shard has
 * its own writer and its own 400 KB, so writes spread and the board grows with the shard count.
 * The front keeps only its configuration; clients that write a lot can route to shards themselves
 * with `shardFor` from lib/ranking.ts and skip it.
 */
export const shardedLeaderboard = actor("sharded-leaderboard", {
  state: () => ({ shards: 4, used: false as boolean }),
  defaultHandler: "top",
  handlers: {
    /** Sets the shard count (only before the first score: players would move shards) and each shard's limit. */
    async configure(
      ctx,
      input: { shards?: number; limit?: number },
    ): Promise<{ shards: number; board: string }> {
      const shards = input?.shards ?? ctx.state.shards;
      if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) {
        throw new InvalidInputError(
          `shards must be an integer from 1 to ${MAX_SHARDS}, got ${JSON.stringify(shards)}`,
        );
      }
      if (ctx.state.used && shards !== ctx.state.shards) {
        throw new InvalidInputError(`${ctx.actorId} already has scores in ${ctx.state.shards} shards`, {
          hint: "start a new board to change the shard count",
        });
      }
      ctx.state.shards = shards;
      const limit = input?.limit;
      if (limit !== undefined) {
        await Promise.all(
          shardIds(boardOf(ctx.actorId), shards).map((id) => ctx.call(id, "configure", { limit })),
        );
      }
      return { shards, board: boardOf(ctx.actorId) };
    },

    /** Records a score in the player's shard. */
    async submit(ctx, input: Score): Promise<SubmitResult & { shard: string }> {
      const shard = shardId(boardOf(ctx.actorId), shardFor(String(input?.player), ctx.state.shards));
      const result = await ctx.call<SubmitResult>(shard, "submit", input);
      ctx.state.used = true;
      return { ...result, shard };
    },

    /** The best `n` of the whole board: each shard's top `n`, merged. */
    async top(ctx, input: { n?: number } | undefined): Promise<RankedEntry[]> {
      const n = input?.n ?? 10;
      const ids = shardIds(boardOf(ctx.actorId), ctx.state.shards);
      const lists = await Promise.all(ids.map((id) => ctx.call<RankedEntry[]>(id, "top", { n })));
      return mergeTop(lists, n);
    },

    /** A player's rank on the whole board: one plus how many rank ahead in every shard. */
    async rank(ctx, input: { player: string }): Promise<PlayerRank & { exact: boolean }> {
      const board = boardOf(ctx.actorId);
      const own = await ctx.call<PlayerRank>(
        shardId(board, shardFor(String(input?.player), ctx.state.shards)),
        "rank",
        input,
      );
      if (own.score === null || own.at === null) return { ...own, exact: true };
      const entry = { player: own.player, score: own.score, at: own.at };
      const counts = await Promise.all(
        shardIds(board, ctx.state.shards).map((id) => ctx.call<CountAhead>(id, "countAhead", entry)),
      );
      const rank = 1 + counts.reduce((sum, c) => sum + c.count, 0);
      return { ...own, rank, exact: counts.every((c) => c.exact) };
    },
  },
});

function boardOf(actorId: string): string {
  const board = actorId.startsWith(PREFIX) ? actorId.slice(PREFIX.length) : "";
  if (!board)
    throw new InvalidInputError(`${actorId} names no board`, {
      hint: "use an id such as sharded-leaderboard-global",
    });
  return board;
}

function shardIds(board: string, shards: number): string[] {
  return Array.from({ length: shards }, (_, i) => shardId(board, i));
}
