/**
 * The counter template's actor (templates/counter/actors/counter.ts), defined against the
 * runtime in this repo: the template imports `../durable`, which exists only in a generated
 * project, and the AWS benchmark runs in this process rather than in one.
 */
import { actor } from "../runtime/core/actor.ts";

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
  },
});
