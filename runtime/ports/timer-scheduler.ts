/** A timer to deliver to an actor's queue at or after `at`. */
export interface ScheduledTimer {
  actorId: string;
  actorType: string;
  name: string;
  timerId: string;
  at: number;
}

/**
 * Delivers timers at least once and never before `at`. Each timer id is scheduled independently:
 * scheduling an id again (a replayed relay) keeps one timer for it, and nothing ever replaces or
 * removes another id, because relays of consecutive turns may arrive in any order. Replacing a
 * name is the core's job: it cancels the old id, and the turn ignores fires of replaced or
 * cancelled timer ids, so a cancel that is lost or arrives late costs only a no-op fire.
 */
export interface TimerScheduler {
  schedule(timers: readonly ScheduledTimer[]): Promise<void>;
  /** Removes exactly these timer ids, if still pending; `name` is for messages only. */
  cancel(timers: readonly { actorId: string; name: string; timerId: string }[]): Promise<void>;
}
