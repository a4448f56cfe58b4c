import type { ActorStore, Lease, LoadedActor } from "../ports/actor-store.ts";
import type { Clock } from "../ports/clock.ts";
import { LeaseHeldError, LeaseTimeoutError } from "./errors.ts";

export interface AcquireOptions {
  store: ActorStore;
  clock: Clock;
  actorId: string;
  owner: string;
  leaseMs: number;
  waitMs: number;
  messageIds: readonly string[];
}

export interface Acquired {
  lease: Lease;
  loaded: LoadedActor;
  waitedMs: number;
}

/**
 * Takes the lease and loads the actor. The first load is asked for right after the first acquire
 * attempt, in parallel (one round trip instead of two; a store may answer both with one request):
 * it is safe because the commit is conditional on the version it loaded, and if the lease had to
 * be waited for, the actor is loaded again.
 */
export async function acquireAndLoad(options: AcquireOptions): Promise<Acquired> {
  const { store, clock, actorId, owner, leaseMs, messageIds } = options;
  const started = clock.now();
  let firstAcquire: Promise<Lease> | undefined = store.acquireLease(actorId, owner, leaseMs, started);
  const load = store.load(actorId, messageIds);
  // Keep an early failure from surfacing as an unhandled rejection while the other is awaited.
  firstAcquire.catch(() => undefined);
  load.catch(() => undefined);
  let delay = 2;
  for (let attempt = 0; ; attempt++) {
    try {
      const acquiring = firstAcquire ?? store.acquireLease(actorId, owner, leaseMs, clock.now());
      firstAcquire = undefined;
      const lease = await acquiring;
      try {
        // After a wait the early load is stale, but it must still finish before the turn does:
        // a Lambda freezes once its handler settles, and nothing may be left running.
        const [loaded] =
          attempt === 0
            ? [await load]
            : await Promise.all([store.load(actorId, messageIds), load.catch(() => undefined)]);
        return { lease, loaded, waitedMs: clock.now() - started };
      } catch (error) {
        // A lease taken for a load that failed is given back at once, not left to expire.
        await store.releaseLease(lease).catch(() => undefined);
        throw error;
      }
    } catch (error) {
      if (!(error instanceof LeaseHeldError)) {
        await load.catch(() => undefined);
        throw error;
      }
      const now = clock.now();
      if (now - started >= options.waitMs) {
        await load.catch(() => undefined);
        throw new LeaseTimeoutError(`actor ${actorId} stayed busy for ${now - started} ms`, {
          hint: "another turn holds its lease; retry, or raise the lease wait",
          cause: error,
        });
      }
      const expiresAt = typeof error.details.expiresAt === "number" ? error.details.expiresAt : now + delay;
      const wait = Math.max(1, Math.min(delay, expiresAt - now));
      // Whole milliseconds: clocks and stores keep integer epoch milliseconds.
      await clock.sleep(Math.max(1, Math.round(wait * (0.5 + Math.random()))));
      delay = Math.min(delay * 2, 50);
    }
  }
}
