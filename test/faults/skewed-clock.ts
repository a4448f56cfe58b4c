import type { Clock } from "../../runtime/ports/clock.ts";

/**
 * A clock off by `offsetMs` from the one it wraps: one worker's view of time when its host's clock
 * drifted. Sleeping is unaffected (a skewed host still waits real durations).
 */
export function skewedClock(base: Clock, offsetMs: number): Clock {
  return {
    now: () => base.now() + offsetMs,
    sleep: (ms) => base.sleep(ms),
  };
}
