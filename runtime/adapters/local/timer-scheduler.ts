import { timerMessage } from "../../core/timer-message.ts";
import type { Clock } from "../../ports/clock.ts";
import type { ActorMessage } from "../../ports/messages.ts";
import type { ScheduledTimer, TimerScheduler } from "../../ports/timer-scheduler.ts";
import type { LocalDb } from "./database.ts";
import type { LocalMessageQueue } from "./message-queue.ts";

interface TimerRow {
  actor_id: string;
  name: string;
  actor_type: string;
  timer_id: string;
  at: number;
}

/**
 * Timers as rows keyed by (actor, timer id), so no relay, however late, can overwrite another
 * timer. Firing moves a due row into the actor's queue in one transaction, so a timer is never both
 * lost and removed; a crash before the commit fires it again.
 */
export class LocalTimerScheduler implements TimerScheduler {
  constructor(
    private readonly db: LocalDb,
    private readonly clock: Clock,
    private readonly queue: LocalMessageQueue,
  ) {}

  async schedule(timers: readonly ScheduledTimer[]): Promise<void> {
    if (timers.length === 0) return;
    this.db.write(() => {
      // A timer id's name and time never change, so scheduling a pending id again (a replayed
      // relay) has nothing to update.
      const insert = this.db.sqlite.query(
        `INSERT INTO timers (actor_id, timer_id, name, actor_type, at) VALUES ($actorId, $timerId, $name, $actorType, $at)
         ON CONFLICT (actor_id, timer_id) DO NOTHING`,
      );
      for (const timer of timers) insert.run({ ...timer });
    });
  }

  /** Removes exactly the given ids: replaying an old cancel never touches the timer that replaced it. */
  async cancel(timers: readonly { actorId: string; name: string; timerId: string }[]): Promise<void> {
    if (timers.length === 0) return;
    this.db.write(() => {
      const remove = this.db.sqlite.query(
        "DELETE FROM timers WHERE actor_id = $actorId AND timer_id = $timerId",
      );
      for (const timer of timers) remove.run({ actorId: timer.actorId, timerId: timer.timerId });
    });
  }

  /**
   * Enqueues every timer due at `now` (never one with `at` later than `now`) and removes it in the
   * same transaction. Returns the messages it enqueued.
   */
  async fireDueTimers(now: number = this.clock.now()): Promise<ActorMessage[]> {
    return this.db.write(() => {
      const rows = this.db.sqlite
        .query<TimerRow, { now: number }>(
          "SELECT actor_id, name, actor_type, timer_id, at FROM timers WHERE at <= $now ORDER BY at, actor_id, name, timer_id",
        )
        .all({ now });
      if (rows.length === 0) return [];
      const messages = rows.map((row) => timerMessage(toScheduled(row)));
      this.queue.enqueueWithin(messages);
      const remove = this.db.sqlite.query(
        "DELETE FROM timers WHERE actor_id = $actorId AND timer_id = $timerId",
      );
      for (const row of rows) remove.run({ actorId: row.actor_id, timerId: row.timer_id });
      return messages;
    });
  }

  /** When the earliest pending timer is due, so a loop can sleep exactly that long; null when none. */
  async nextDueAt(): Promise<number | null> {
    const row = this.db.sqlite.query<{ at: number | null }, []>("SELECT MIN(at) AS at FROM timers").get();
    return row?.at ?? null;
  }

  /**
   * Pending timers, soonest first (the dev server's timer view). Until its cancel is relayed, a
   * replaced timer id shows here too; the actor record's timers say which ids are current.
   */
  async pending(actorId?: string): Promise<ScheduledTimer[]> {
    const rows = this.db.sqlite
      .query<TimerRow, { actorId: string | null }>(
        `SELECT actor_id, name, actor_type, timer_id, at FROM timers
         WHERE $actorId IS NULL OR actor_id = $actorId ORDER BY at, actor_id, name, timer_id`,
      )
      .all({ actorId: actorId ?? null });
    return rows.map(toScheduled);
  }
}

function toScheduled(row: TimerRow): ScheduledTimer {
  return {
    actorId: row.actor_id,
    actorType: row.actor_type,
    name: row.name,
    timerId: row.timer_id,
    at: row.at,
  };
}
