import { actor, InvalidInputError } from "../durable/index.ts";
import { compareEntries, type Entry, insertionIndex, type RankedEntry } from "../lib/ranking.ts";

export type Score = { player: string; score: number };
export type SubmitResult = { player: string; best: number; rank: number | null; improved: boolean };
export type PlayerRank = { player: string; rank: number | null; score: number | null; at: number | null };
export type CountAhead = { count: number; exact: boolean };

/**
 * The most entries a board keeps. An entry is at most ~125 bytes of JSON (a 64-character player
 * id), so 2,500 of them stay near 310 KB: inside DynamoDB's 400 KB item, so every call reads and
 * writes the board in one item (a bigger state goes to S3, at a round trip per call). Bigger
 * boards are split into shards.
 */
export const MAX_LIMIT = 2500;
export const DEFAULT_LIMIT = 1000;
const PLAYER = /^[A-Za-z0-9._:@-]{1,64}$/;

/** A board as schema 1 stored it, before seasons. */
export type BoardV1 = { limit: number; entries: Entry[]; submissions: number };
/** Schema 2: boards have seasons; `newSeason` clears the board and starts the next one. */
export type Board = BoardV1 & { season: number };

/**
 * A board (`leaderboard-global`) or one shard of a sharded board (`leaderboard-global-3`). It
 * keeps each player's best score and only the top `limit` players, so its state stays bounded.
 */
export const leaderboard = actor("leaderboard", {
  state: (): Board => ({ limit: DEFAULT_LIMIT, entries: [], submissions: 0, season: 1 }),
  // Boards stored before seasons existed load as season 1: migrated when first used, committed
  // with that call (a read migrates in memory only), or all at once with `durable migrate`.
  schema: 2,
  migrate: { 2: (old: BoardV1): Board => ({ ...old, season: 1 }) },
  defaultHandler: "top",
  handlers: {
    /** Records a score; a player's best score counts. */
    submit(ctx, input: Score): SubmitResult {
      const { player, score } = checkScore(input);
      return submitOne(ctx.state, player, score, ctx.now);
    },

    /** Records a batch of scores in one turn (e.g. the results of a match). */
    submitMany(ctx, input: { scores: Score[] }): { submitted: number; entries: number } {
      const scores = input?.scores;
      if (!Array.isArray(scores) || scores.length > MAX_LIMIT) {
        throw new InvalidInputError(`scores must be an array of at most ${MAX_LIMIT} { player, score }`);
      }
      const checked = scores.map(checkScore);
      for (const { player, score } of checked) submitOne(ctx.state, player, score, ctx.now);
      return { submitted: checked.length, entries: ctx.state.entries.length };
    },

    /** The best `n` (default 10). */
    top(ctx, input: { n?: number } | undefined): RankedEntry[] {
      const n = input?.n ?? 10;
      if (!Number.isInteger(n) || n < 1 || n > ctx.state.limit) {
        throw new InvalidInputError(
          `n must be an integer from 1 to ${ctx.state.limit}, got ${JSON.stringify(n)}`,
        );
      }
      return ctx.state.entries.slice(0, n).map((e, i) => ({ rank: i + 1, ...e }));
    },

    /** A player's rank, or null when they are not in the top `limit`. */
    rank(ctx, input: { player: string }): PlayerRank {
      const player = checkPlayer(input?.player);
      const index = ctx.state.entries.findIndex((e) => e.player === player);
      const entry = ctx.state.entries[index];
      if (!entry) return { player, rank: null, score: null, at: null };
      return { player, rank: index + 1, score: entry.score, at: entry.at };
    },

    /**
     * How many kept entries rank ahead of `entry`: a sharded board sums this over its shards.
     * Not exact when this board is full and all it kept ranks ahead (dropped ones might, too).
     */
    countAhead(ctx, input: Entry): CountAhead {
      const entries = ctx.state.entries;
      const count = insertionIndex(entries, input);
      const last = entries[entries.length - 1];
      const exact =
        entries.length < ctx.state.limit || last === undefined || compareEntries(last, input) >= 0;
      return { count, exact };
    },

    /** This season's number, and how full the board is. */
    season(ctx): { season: number; entries: number; submissions: number } {
      const { season, entries, submissions } = ctx.state;
      return { season, entries: entries.length, submissions };
    },

    /** Ends the season: the board is cleared and the next season starts. */
    newSeason(ctx): { season: number } {
      ctx.state.season += 1;
      ctx.state.entries = [];
      ctx.state.submissions = 0;
      return { season: ctx.state.season };
    },

    /** Sets how many players the board keeps; shrinking drops the lowest. */
    configure(ctx, input: { limit: number }): { limit: number; entries: number } {
      const limit = input?.limit;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
        throw new InvalidInputError(
          `limit must be an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(limit)}`,
          {
            hint: "a bigger board needs more shards (see sharded-leaderboard), not a bigger actor",
          },
        );
      }
      ctx.state.limit = limit;
      if (ctx.state.entries.length > limit) ctx.state.entries.length = limit;
      return { limit, entries: ctx.state.entries.length };
    },
  },
});

function submitOne(board: Board, player: string, score: number, now: number): SubmitResult {
  board.submissions += 1;
  const entries = board.entries;
  const previous = entries.findIndex((e) => e.player === player);
  const current = entries[previous];
  if (current && score <= current.score) {
    return { player, best: current.score, rank: previous + 1, improved: false };
  }
  if (current) entries.splice(previous, 1);
  const entry = { player, score, at: now };
  const index = insertionIndex(entries, entry);
  // Below the cut: the board forgets players outside its top `limit` rather than grow.
  if (index >= board.limit) return { player, best: score, rank: null, improved: false };
  entries.splice(index, 0, entry);
  if (entries.length > board.limit) entries.length = board.limit;
  return { player, best: score, rank: index + 1, improved: true };
}

function checkScore(input: Score): Score {
  const player = checkPlayer(input?.player);
  const score = input?.score;
  if (typeof score !== "number" || !Number.isSafeInteger(score)) {
    throw new InvalidInputError(`score must be an integer, got ${JSON.stringify(score)}`);
  }
  return { player, score };
}

function checkPlayer(player: unknown): string {
  if (typeof player !== "string" || !PLAYER.test(player)) {
    throw new InvalidInputError(
      `player must be 1-64 letters, digits or . _ : @ -, got ${JSON.stringify(player)}`,
    );
  }
  return player;
}
