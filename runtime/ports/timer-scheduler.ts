/** A timer to deliver to an actor's queue at or after `at`. */
export interface ScheduledTimer {
  actorId: string;
  actorType: string;
  name: string;
  timerId: string;
  at: number;
}

/**
 * Delivers timers at least once and never before `at`. Scheduling the same name again replaces
 * the earlier timer; a fire of a replaced or cancelled timer is filtered out by the turn.
 */
export interface TimerScheduler {
  schedule(timers: readonly ScheduledTimer[]): Promise<void>;
  cancel(timers: readonly { actorId: string; name: string; timerId: string }[]): Promise<void>;
}
