/**
 * The Restate peer's counter: a virtual object (one instance per key, calls to a key serialized,
 * state kept by restate-server) answering the same `POST /actors/:id/increment` path as `durable
 * dev` through Restate's ingress (`/<object>/<key>/<handler>`). Runs under Bun: the SDK needs
 * Promise.withResolvers, which Node 20 lacks.
 *
 *   bun bench/restate/service.ts <port>     prints {"type":"ready","port":…} once it listens
 */
import * as restate from "@restatedev/restate-sdk";

const actors = restate.object({
  name: "actors",
  handlers: {
    increment: async (ctx: restate.ObjectContext, input: { by?: number } | null) => {
      const count = ((await ctx.get<number>("count")) ?? 0) + (input?.by ?? 1);
      ctx.set("count", count);
      return { count };
    },
  },
});

const port = await restate.serve({ services: [actors], port: Number(process.argv[2] ?? 0) });
console.log(JSON.stringify({ type: "ready", port }));
