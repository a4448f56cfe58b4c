import { actor } from "../durable/index.ts";

/**
 * A counter per actor id. `increment` is the default handler, so
 * `durable invoke counter-1 --sync` increments counter-1 by one.
 */
export const counter = actor("counter", {
  state: () => ({ count: 0, resets: 0 }),
  handlers: {
    increment(ctx, input: { by?: number } = {}) {
      const by = input?.by ?? 1;
      if (!Number.isInteger(by)) throw new TypeError(`by must be an integer, got ${JSON.stringify(by)}`);
      ctx.state.count += by;
      return { count: ctx.state.count };
    },
    get(ctx) {
      return { count: ctx.state.count, version: ctx.version };
    },
    reset(ctx) {
      ctx.state.count = 0;
      ctx.state.resets += 1;
      return { count: 0 };
    },
  },
});
