import type { ActorStore, Lease } from "../ports/actor-store.ts";
import type { Clock } from "../ports/clock.ts";
import { LeaseLostError } from "./errors.ts";

/**
 * Keeps a turn's lease alive while its handlers run: renews it (fenced on owner and epoch) every
 * third of its length, so a handler longer than the lease still commits, and a crashed holder,
 * which stops renewing, blocks its actor for at most one lease. Real timers, not the clock port:
 * they must fire while a handler awaits, and are cleared before the turn settles (nothing may run
 * after a Lambda invocation returns).
 */
export class LeaseKeeper {
  #lease: Lease;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #renewing: Promise<void> | undefined;
  #stopped = false;
  /** Set when a renewal found the lease taken over; the commit will refuse it too. */
  lost: unknown;

  /**
   * `firstRenewalMs`: when the first renewal is due, if sooner than a third of `ttlMs` (a warm
   * turn's lease runs only to the end of its grace).
   */
  constructor(
    private readonly store: ActorStore,
    private readonly clock: Clock,
    lease: Lease,
    private readonly ttlMs: number,
    firstRenewalMs?: number,
  ) {
    this.#lease = lease;
    this.#schedule(firstRenewalMs);
  }

  /** Stops renewing and waits for a renewal in flight (the commit must not race its own lease write). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#renewing;
  }

  #schedule(delayMs = Math.max(10, Math.floor(this.ttlMs / 3))): void {
    if (this.#stopped || this.lost !== undefined) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#renewing = this.#renew().finally(() => {
          this.#renewing = undefined;
          this.#schedule();
        });
      },
      Math.max(1, delayMs),
    );
  }

  async #renew(): Promise<void> {
    if (this.#stopped) return;
    try {
      this.#lease = await this.store.renewLease(this.#lease, this.ttlMs, this.clock.now());
    } catch (error) {
      // A lost lease stops the renewals; any other failure is retried at the next tick, and if
      // the lease runs out meanwhile the commit says so (LeaseLostError) and the turn is retried.
      if (error instanceof LeaseLostError) this.lost = error;
    }
  }
}
