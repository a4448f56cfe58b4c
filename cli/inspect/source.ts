import type { AnyActorDefinition } from "../../runtime/core/actor.ts";
import type { Letter } from "../dlq/letters.ts";
import type { ActorTarget } from "../targets.ts";

/** An actor type as the page's invoke form offers it. */
export interface ActorTypeInfo {
  name: string;
  handlers: string[];
  defaultHandler: string;
}

/**
 * What the inspector reads and changes: the local fabric or a stage, as a target (state, fleet,
 * versions, waiting messages, invoke, unpark) plus the project's actor types and the dead letters.
 */
export interface InspectorSource {
  readonly target: ActorTarget;
  types(): Promise<ActorTypeInfo[]>;
  /** The dead letters of one actor, oldest first. */
  deadLetters(actorId: string): Promise<Letter[]>;
  /** Server-sent events, one per committed version (local); absent where the page polls (a stage). */
  events?(actorId: string | undefined, signal: AbortSignal): Response;
  close(): Promise<void>;
}

export function typeInfos(definitions: readonly AnyActorDefinition[]): ActorTypeInfo[] {
  return definitions.map((def) => ({
    name: def.name,
    handlers: [...def.handlerNames],
    defaultHandler: def.defaultHandler,
  }));
}
