import type { AnyActorDefinition } from "./actor.ts";
import { UnknownActorError, UnknownHandlerError } from "./errors.ts";
import { assertActorId } from "./limits.ts";

/** The actor types one project defines, and how an id maps to its type. */
export class ActorRegistry {
  readonly #byName = new Map<string, AnyActorDefinition>();

  constructor(definitions: readonly AnyActorDefinition[]) {
    for (const def of definitions) {
      if (this.#byName.has(def.name)) throw new TypeError(`actor "${def.name}" is defined twice`);
      this.#byName.set(def.name, def);
    }
  }

  get names(): string[] {
    return [...this.#byName.keys()];
  }

  get definitions(): AnyActorDefinition[] {
    return [...this.#byName.values()];
  }

  get(name: string): AnyActorDefinition {
    const def = this.#byName.get(name);
    if (!def) {
      throw new UnknownActorError(`unknown actor type "${name}"`, {
        hint: `this project defines: ${this.names.join(", ") || "no actors"}`,
      });
    }
    return def;
  }

  /**
   * The type of an actor id: the explicit type when given; else the longest actor name that the id
   * equals or starts with followed by "-", ":" or "." (so `rate-limiter-api` is a rate-limiter);
   * else the only type of a single-actor project.
   * @example registry.resolveType("counter-1") // the counter definition
   */
  resolveType(actorId: string, explicitType?: string): AnyActorDefinition {
    assertActorId(actorId);
    if (explicitType !== undefined) return this.get(explicitType);
    let best: AnyActorDefinition | undefined;
    for (const def of this.#byName.values()) {
      const n = def.name;
      const matches = actorId === n || (actorId.startsWith(n) && "-:.".includes(actorId.charAt(n.length)));
      if (matches && (!best || n.length > best.name.length)) best = def;
    }
    if (best) return best;
    const only = this.#byName.size === 1 ? [...this.#byName.values()][0] : undefined;
    if (only) return only;
    throw new UnknownActorError(`cannot tell which actor type "${actorId}" is`, {
      hint: `start the id with a type name (${this.names.map((n) => `${n}-1`).join(", ")}) or pass --actor <type>`,
    });
  }

  /** The handler to run: the named one, or the type's default. */
  resolveHandler(def: AnyActorDefinition, handler: string | undefined): string {
    const name = handler ?? def.defaultHandler;
    if (!def.handlerNames.includes(name)) {
      throw new UnknownHandlerError(`actor "${def.name}" has no handler "${name}"`, {
        hint: `its handlers are: ${def.handlerNames.join(", ")}`,
      });
    }
    return name;
  }
}
