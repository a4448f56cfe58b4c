import { actor } from "../../runtime/core/actor.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import { freshId } from "./scenario-kit.ts";

/** An actor that logs what it eats and always fails on "poison": the poison-message scenarios' subject. */
export const picky = actor("picky", {
  state: () => ({ log: [] as string[] }),
  handlers: {
    eat(ctx, input: { tag: string }) {
      if (input.tag === "poison") throw new Error("this message always fails (injected)");
      ctx.state.log.push(input.tag);
    },
  },
});

/** A queued message for one picky actor, tagged. */
export function pickyMessage(actorId: string, tag: string): ActorMessage {
  return { id: freshId(tag), actorId, actorType: "picky", handler: "eat", input: { tag }, kind: "send" };
}
