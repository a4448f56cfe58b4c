// The Durable Objects peer for the benchmarks: the same counter actor as the `counter`
// template, written the way a Workers user would, behind the same HTTP path as `durable dev`
// (POST /actors/:id/:handler with a JSON body). Plain JS because workerd runs it untranspiled.
import { DurableObject } from "cloudflare:workers";

export class Counter extends DurableObject {
  /** @param {number} by */
  async increment(by) {
    // Input gates keep get + put atomic per object, the guarantee being compared.
    const count = ((await this.ctx.storage.get("count")) ?? 0) + by;
    await this.ctx.storage.put("count", count);
    return count;
  }

  async get() {
    return (await this.ctx.storage.get("count")) ?? 0;
  }
}

const ROUTE = /^\/actors\/([^/]+)\/([A-Za-z][A-Za-z0-9_]*)$/;
// The same actor id rule as Durable Lambda, checked after decoding (clients encode ':').
const ACTOR_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** @param {unknown} body @param {number} status */
function json(body, status = 200) {
  return Response.json(body, { status });
}

/** @param {string} segment @returns {string | undefined} */
function safeDecode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** @param {Request} request @returns {Promise<Record<string, unknown> | undefined>} */
async function readInput(request) {
  const text = await request.text();
  if (text.trim() === "") return {};
  try {
    const input = JSON.parse(text);
    if (input === null) return {};
    return typeof input === "object" && !Array.isArray(input) ? input : undefined;
  } catch {
    return undefined;
  }
}

export default {
  /** @param {Request} request @param {{ COUNTER: DurableObjectNamespace<Counter> }} env */
  async fetch(request, env) {
    const match = ROUTE.exec(new URL(request.url).pathname);
    if (!match) return json({ error: { code: "NOT_FOUND", message: "use POST /actors/:id/:handler" } }, 404);
    if (request.method !== "POST") return json({ error: { code: "METHOD", message: "use POST" } }, 405);
    const [, encodedId, handler] = match;
    const actorId = safeDecode(encodedId);
    if (actorId === undefined || !ACTOR_ID.test(actorId)) {
      return json(
        { error: { code: "INVALID_ACTOR_ID", message: "actor id must match [A-Za-z0-9._:-]{1,128}" } },
        400,
      );
    }
    const input = await readInput(request);
    if (input === undefined) {
      return json({ error: { code: "INVALID_JSON", message: "body must be a JSON object" } }, 400);
    }
    const stub = env.COUNTER.get(env.COUNTER.idFromName(actorId));
    if (handler === "increment") {
      const by = input.by ?? 1;
      if (typeof by !== "number" || !Number.isSafeInteger(by)) {
        return json({ error: { code: "INVALID_INPUT", message: "by must be an integer" } }, 400);
      }
      return json({ count: await stub.increment(by) });
    }
    if (handler === "get") return json({ count: await stub.get() });
    return json({ error: { code: "UNKNOWN_HANDLER", message: `no handler ${handler}` } }, 404);
  },
};
