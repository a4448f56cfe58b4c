import type { Clock } from "../ports/clock.ts";

/**
 * A clock that moves only when told to. `sleep` advances it instead of waiting, so code that
 * backs off or waits for a lease runs instantly in tests while seeing time pass.
 * @example const clock = new ManualClock(Date.UTC(2026, 0, 1)); clock.advance(60_000);
 */
export class ManualClock implements Clock {
  #now: number;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  set(ms: number): void {
    if (!Number.isInteger(ms)) throw new RangeError(`ManualClock time must be whole milliseconds, got ${ms}`);
    if (ms < this.#now) throw new RangeError("a ManualClock never goes backwards; create a new one instead");
    this.#now = ms;
  }

  advance(ms: number): void {
    this.set(this.#now + ms);
  }

  async sleep(ms: number): Promise<void> {
    this.#now += Math.max(0, Math.ceil(ms));
    await Promise.resolve();
  }
}
