import { actor } from "../../runtime/core/actor.ts";
import type { JsonValue } from "../../runtime/core/json.ts";
import { sweepStranded } from "../../runtime/core/sweeper.ts";
import type { Environment } from "./backends.ts";
import { type DeliverOptions, settle, tagsOf } from "./delivery.ts";
import { sleep } from "./fault-injector.ts";
import type { Worker } from "./worker.ts";

/**
 * A turn with every kind of effect (a message sent, a timer set, a signal published) and the
 * actors that receive them, to check that each acknowledged effect arrives downstream exactly once.
 */
export interface EmitInput {
  tag: string;
  sink: string;
  listener: string;
  alarmMs: number;
}

export const emitter = actor("emitter", {
  state: () => ({ emitted: [] as string[], alarms: [] as string[] }),
  handlers: {
    emit(ctx, input: EmitInput) {
      ctx.state.emitted.push(input.tag);
      ctx.send(input.sink, "record", { tag: input.tag });
      ctx.setAlarm(input.alarmMs, { name: `t-${input.tag}`, data: input.tag });
      ctx.signal("emitted", { tag: input.tag, listener: input.listener });
      return input.tag;
    },
    /** A poison message: parks the emitter on its last permitted delivery. */
    boom() {
      throw new Error("this message always fails (injected)");
    },
  },
  alarm(ctx, timer) {
    ctx.state.alarms.push(String(timer.data));
  },
});

export const effectSink = actor("effect-sink", {
  state: () => ({ log: [] as string[] }),
  handlers: {
    record(ctx, input: { tag: string }) {
      ctx.state.log.push(input.tag);
    },
  },
});

const listenerOf = (detail: JsonValue): string | null =>
  typeof detail === "object" &&
  detail !== null &&
  !Array.isArray(detail) &&
  typeof detail.listener === "string"
    ? detail.listener
    : null;

export const listener = actor("listener", {
  state: () => ({ heard: [] as string[] }),
  handlers: {
    heard(ctx, input: { tag: string }) {
      ctx.state.heard.push(input.tag);
    },
  },
  signals: { emitted: { to: listenerOf, handler: "heard" } },
});

export const EFFECT_ACTORS = [emitter, effectSink, listener] as const;

export interface EffectIds {
  emitter: string;
  sink: string;
  listener: string;
}

/** How many times the turn, and each of its effects, landed. */
export interface EffectCounts {
  committed: number;
  sent: number;
  signalled: number;
  alarmed: number;
}

export async function countEffects(w: Worker, ids: EffectIds, tag: string): Promise<EffectCounts> {
  const count = async (actorId: string, key: string) =>
    (await tagsOf(w, actorId, key)).filter((t) => t === tag).length;
  return {
    committed: await count(ids.emitter, "emitted"),
    sent: await count(ids.sink, "log"),
    signalled: await count(ids.listener, "heard"),
    alarmed: await count(ids.emitter, "alarms"),
  };
}

export const ONCE: EffectCounts = { committed: 1, sent: 1, signalled: 1, alarmed: 1 };

export function isOnce(counts: EffectCounts): boolean {
  return Object.values(counts).every((n) => n === 1);
}

/**
 * What the fabric does after a crash, with no further call to the actor: the sweeper relays
 * stranded outboxes, the queue redelivers what was never acknowledged, signals reach their rule's
 * target, due timers fire. Repeats until `done` or the time is up.
 */
export async function recover(
  env: Environment,
  w: Worker,
  done: () => Promise<boolean>,
  options: DeliverOptions & { withinMs?: number } = {},
): Promise<number> {
  const until = performance.now() + (options.withinMs ?? 15_000);
  let operations = 0;
  while (performance.now() < until) {
    await sweepStranded(w.fabric, { olderThanMs: 0 });
    operations += (await settle(env, w, EFFECT_ACTORS, { quietMs: 300, ...options })).delivered;
    operations += await env.deliverSignals(EFFECT_ACTORS);
    operations += await env.fireTimers(Date.now());
    if (await done()) return operations;
    await sleep(100);
  }
  return operations;
}
