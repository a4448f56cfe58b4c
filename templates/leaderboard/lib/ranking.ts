/** Pure ranking helpers shared by one board, its shards and a client that merges shards itself. */

export type Entry = { player: string; score: number; at: number };
export type RankedEntry = Entry & { rank: number };

/**
 * The order of a board: higher score first; on a tie whoever reached it first; then by player id,
 * so every shard and every merge agrees on a total order.
 */
export function compareEntries(a: Entry, b: Entry): number {
  if (a.score !== b.score) return b.score - a.score;
  if (a.at !== b.at) return a.at - b.at;
  return a.player < b.player ? -1 : a.player > b.player ? 1 : 0;
}

/** Where `entry` belongs in a sorted list (binary search: boards hold thousands of entries). */
export function insertionIndex(sorted: readonly Entry[], entry: Entry): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const probe = sorted[mid];
    if (probe !== undefined && compareEntries(probe, entry) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Merges shards' top lists into the board's top `n`; exact whenever each list is its shard's top `n`. */
export function mergeTop(lists: readonly (readonly RankedEntry[])[], n: number): RankedEntry[] {
  return lists
    .flat()
    .sort(compareEntries)
    .slice(0, n)
    .map((e, i) => ({ rank: i + 1, player: e.player, score: e.score, at: e.at }));
}

/** FNV-1a: a stable, well-spread hash, the same in every process and on every deploy. */
export function shardFor(player: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < player.length; i++) {
    hash ^= player.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

/** The actor id of one shard of a board: `leaderboard-<board>-<shard>`. */
export function shardId(board: string, shard: number): string {
  return `leaderboard-${board}-${shard}`;
}
