import type { ActorRecord, Lease } from "../ports/actor-store.ts";

/** An actor this process just committed, with the lease it keeps for the grace. */
export interface WarmActor {
  /** `expiresAt` is the end of the grace. */
  lease: Lease;
  /** What the process committed, exactly as a load would return it now (if nobody else wrote since). */
  record: ActorRecord;
}

export interface WarmActorsOptions {
  /** How long a committing turn keeps its lease for this process's next turn on the actor. 0: never. */
  graceMs: number;
  /** Most actors kept at once (the oldest go first). Default 256. */
  maxActors?: number;
  /** How long an actor stays cold after another process took it from this one's grace. Default 1 s. */
  coolDownMs?: number;
}

/**
 * The warm path's memory: per process (a Lambda container, `durable dev`), the actors it committed
 * in the last grace, with their lease and record. The next turn on such an actor runs on the record
 * and commits in one conditional write (fenced on the lease's owner and epoch and on the version),
 * with nothing read first. Another process that wants the actor takes the lease at once, which
 * makes that write fail; the turn then runs again the ordinary way. An actor this process lost
 * that way stays cold for a while, so two processes sharing a busy actor do not keep paying for
 * turns that were bound to fail.
 */
export class WarmActors {
  readonly graceMs: number;
  readonly #maxActors: number;
  readonly #coolDownMs: number;
  readonly #entries = new Map<string, WarmActor>();
  readonly #coolUntil = new Map<string, number>();

  constructor(options: WarmActorsOptions) {
    if (!Number.isInteger(options.graceMs) || options.graceMs < 0)
      throw new RangeError(`the warm grace must be a whole number of ms ≥ 0, got ${options.graceMs}`);
    this.graceMs = options.graceMs;
    this.#maxActors = options.maxActors ?? 256;
    this.#coolDownMs = options.coolDownMs ?? 1_000;
  }

  get enabled(): boolean {
    return this.graceMs > 0;
  }

  /** How many actors are kept now (expired ones included until the next `keep`). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Hands the actor over to one turn (it is no longer kept): only while enough of the grace is left
   * for that turn to commit inside it.
   */
  take(actorId: string, now: number): WarmActor | undefined {
    const entry = this.#entries.get(actorId);
    if (!entry) return undefined;
    this.#entries.delete(actorId);
    return entry.lease.expiresAt - now >= this.graceMs / 4 ? entry : undefined;
  }

  /** Keeps what a turn committed with a grace, unless the actor is cooling down. */
  keep(entry: WarmActor, now: number): void {
    const actorId = entry.lease.actorId;
    const cool = this.#coolUntil.get(actorId);
    if (cool !== undefined) {
      if (now < cool) return;
      this.#coolUntil.delete(actorId);
    }
    this.#prune(now);
    this.#entries.delete(actorId);
    this.#entries.set(actorId, entry);
    if (this.#entries.size > this.#maxActors) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  /** Whether a turn on the actor should commit with a grace now. */
  wants(actorId: string, now: number): boolean {
    if (!this.enabled) return false;
    const cool = this.#coolUntil.get(actorId);
    return cool === undefined || now >= cool;
  }

  /** Another process took the actor from this one's grace: keep it cold for a while. */
  lost(actorId: string, now: number): void {
    this.#entries.delete(actorId);
    this.#coolUntil.set(actorId, now + this.#coolDownMs);
  }

  #prune(now: number): void {
    for (const [actorId, entry] of this.#entries)
      if (entry.lease.expiresAt <= now) this.#entries.delete(actorId);
    for (const [actorId, until] of this.#coolUntil) if (until <= now) this.#coolUntil.delete(actorId);
  }
}
