import { actor, InvalidInputError } from "../durable/index.ts";

export type BucketConfig = { capacity: number; refillPerSecond: number };
export type TakeResult = { allowed: boolean; remaining: number; retryAfterMs: number };
export type BucketView = BucketConfig & { tokens: number; allowed: number; denied: number };

const DEFAULTS: BucketConfig = { capacity: 10, refillPerSecond: 1 };
const MAX_CAPACITY = 1_000_000;

type Bucket = BucketConfig & { tokens: number; updatedAt: number; allowed: number; denied: number };

/**
 * A token bucket per key: `rate-limiter-api`, `rate-limiter-user-42`, … Each id is one bucket with
 * one writer, so concurrent takes are applied one after another and the bucket never admits
 * more than it holds, whichever process or Lambda the requests arrive on.
 */
export const rateLimiter = actor("rate-limiter", {
  state: (): Bucket => ({ ...DEFAULTS, tokens: DEFAULTS.capacity, updatedAt: 0, allowed: 0, denied: 0 }),
  defaultHandler: "take",
  handlers: {
    /** Takes `cost` tokens (default 1) if the bucket holds them. */
    take(ctx, input: { cost?: number } | undefined): TakeResult {
      const bucket = ctx.state;
      const cost = input?.cost ?? 1;
      if (!Number.isInteger(cost) || cost < 1 || cost > bucket.capacity) {
        throw new InvalidInputError(
          `cost must be an integer from 1 to the capacity ${bucket.capacity}, got ${JSON.stringify(cost)}`,
        );
      }
      bucket.tokens = tokensAt(bucket, ctx.now);
      bucket.updatedAt = ctx.now;
      if (bucket.tokens >= cost) {
        bucket.tokens = round(bucket.tokens - cost);
        bucket.allowed += 1;
        return { allowed: true, remaining: Math.floor(bucket.tokens), retryAfterMs: 0 };
      }
      bucket.denied += 1;
      const retryAfterMs = Math.ceil(((cost - bucket.tokens) * 1000) / bucket.refillPerSecond);
      return { allowed: false, remaining: Math.floor(bucket.tokens), retryAfterMs };
    },

    /** Changes the bucket's size or refill rate. A new bucket starts full. */
    configure(ctx, input: Partial<BucketConfig> | undefined): BucketView {
      const bucket = ctx.state;
      const capacity = input?.capacity ?? bucket.capacity;
      const refillPerSecond = input?.refillPerSecond ?? bucket.refillPerSecond;
      if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
        throw new InvalidInputError(
          `capacity must be an integer from 1 to ${MAX_CAPACITY}, got ${JSON.stringify(capacity)}`,
        );
      }
      if (typeof refillPerSecond !== "number" || !(refillPerSecond > 0) || refillPerSecond > MAX_CAPACITY) {
        throw new InvalidInputError(
          `refillPerSecond must be a number above 0, got ${JSON.stringify(refillPerSecond)}`,
        );
      }
      // Tokens earned at the old rate are kept; a smaller bucket cannot hold more than it fits.
      const tokens = ctx.version === 0 ? capacity : Math.min(capacity, tokensAt(bucket, ctx.now));
      Object.assign(bucket, { capacity, refillPerSecond, tokens, updatedAt: ctx.now });
      return view(bucket, ctx.now);
    },

    /** The bucket as it is now, without taking anything. */
    peek(ctx): BucketView {
      return view(ctx.state, ctx.now);
    },

    /** Fills the bucket again. */
    reset(ctx): BucketView {
      ctx.state.tokens = ctx.state.capacity;
      ctx.state.updatedAt = ctx.now;
      return view(ctx.state, ctx.now);
    },
  },
});

/**
 * Tokens are refilled lazily from elapsed time rather than by a timer: a bucket nobody touches
 * costs nothing, and the result depends only on ctx.now, so a retried turn computes the same.
 */
function tokensAt(bucket: Bucket, now: number): number {
  const elapsedMs = Math.max(0, now - bucket.updatedAt);
  return Math.min(bucket.capacity, round(bucket.tokens + (elapsedMs * bucket.refillPerSecond) / 1000));
}

/** Keeps float drift (0.1 + 0.2) from turning 3 tokens into 2.9999999. */
function round(tokens: number): number {
  return Math.round(tokens * 1e6) / 1e6;
}

function view(bucket: Bucket, now: number): BucketView {
  const { capacity, refillPerSecond, allowed, denied } = bucket;
  return { capacity, refillPerSecond, tokens: Math.floor(tokensAt(bucket, now)), allowed, denied };
}
