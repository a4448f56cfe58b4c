import { describe, expect, test } from "bun:test";
import { type AnyActorDefinition, actor } from "../../runtime/core/actor.ts";
import type { JsonValue } from "../../runtime/core/json.ts";
import { BACKENDS, openEnvironment } from "./backends.ts";
import { settle, tagsOf } from "./delivery.ts";
import { freshId } from "./scenario-kit.ts";
import { SEEDS, seedTag } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 23, issue 11 finding 10: a failing signal route affects only its own subscriber. Two
 * actor types subscribe to "order.paid": the shipper routes by `detail.orderId` and throws on a
 * signal whose detail is null (as user code would), the auditor routes everything to one actor.
 * A null-detail signal, then a good one: the auditor gets both, the shipper the good one, and the
 * shipper's failure is kept for operators (locally a dead letter naming the subscriber; on aws a
 * SignalRoutesFailed count in the Lambda's metrics) instead of failing every subscriber's delivery.
 * Locally the fabric routes signals; on aws they go through EventBridge (a stand-in that records
 * PutEvents) to the rule's target, the Lambda entry.
 * Fails on 51c08f4: the throwing route fails the whole delivery (locally the relay, so the
 * publisher's outbox is stuck; on aws the function), and the auditor never hears either signal.
 */
function actorsFor(auditorId: string): AnyActorDefinition[] {
  const shop = actor("shop", {
    state: () => ({ paid: 0 }),
    handlers: {
      pay(ctx, input: { detail: JsonValue }) {
        ctx.state.paid += 1;
        ctx.signal("order.paid", input.detail);
      },
    },
  });
  const shipper = actor("shipper", {
    state: () => ({ log: [] as string[] }),
    handlers: {
      ship(ctx, input: { orderId: string }) {
        ctx.state.log.push(input.orderId);
      },
    },
    // User code that assumes a detail: a null one throws a TypeError here.
    signals: {
      "order.paid": { to: (d) => `shipper-${(d as { orderId: string }).orderId}`, handler: "ship" },
    },
  });
  const auditor = actor("auditor", {
    state: () => ({ log: [] as string[] }),
    handlers: {
      note(ctx, input: JsonValue) {
        ctx.state.log.push(JSON.stringify(input));
      },
    },
    signals: { "order.paid": { to: () => auditorId, handler: "note" } },
  });
  return [shop, shipper, auditor];
}

for (const backend of BACKENDS) {
  describe(`[${backend}] a throwing signal route`, () => {
    for (const seed of SEEDS)
      test(`[${backend}] a route that throws on a null detail fails only its own subscriber: the other is routed, the failure is kept${seedTag(seed)}`, async () => {
        const env = await openEnvironment(backend, { label: "s23", seed });
        try {
          const auditorId = freshId("auditor");
          const actors = actorsFor(auditorId);
          const w = await env.worker({ name: `s23-${backend}`, actors });
          const shopId = freshId("shop");
          const orderId = freshId("o");
          const lines: string[] = [];
          const answers: string[] = [];
          for (const detail of [null, { orderId }]) {
            const answer = await w.fabric.invoke({ actorId: shopId, handler: "pay", input: { detail } }).then(
              () => "ok",
              (error: { code?: string }) => error.code ?? String(error),
            );
            answers.push(answer);
            await env.deliverSignals(actors, lines);
          }
          const delivered = await settle(env, w, actors);
          const heard = await tagsOf(w, auditorId);
          const shipped = await tagsOf(w, `shipper-${orderId}`);
          const dead = await env.takeDeadLetters();
          const kept =
            backend === "local"
              ? dead.some((d) => JSON.stringify(d).includes("shipper"))
              : lines.some((line) => line.includes("SignalRoutesFailed"));
          console.log(
            `[${backend}] s23: pay answered ${answers.join(", ")}; auditor heard ${heard.join(" ") || "nothing"}; shipper shipped ${shipped.join(" ") || "nothing"}; failure kept: ${kept}`,
          );
          recordRun("a throwing signal route", backend, {
            operations: 2 + delivered.delivered,
            lost: 2 - Math.min(2, heard.length) + (shipped.length === 0 ? 1 : 0),
            duplicated: Math.max(0, heard.length - 2) + Math.max(0, shipped.length - 1),
            violations: answers.filter((a) => a !== "ok").length + (kept ? 0 : 1),
          });

          expect(answers).toEqual(["ok", "ok"]);
          expect(heard).toEqual(["null", JSON.stringify({ orderId })]);
          expect(shipped).toEqual([orderId]);
          expect(kept).toBe(true);
        } finally {
          await env.close();
        }
      });
  });
}
