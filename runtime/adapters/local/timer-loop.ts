import type { Clock } from "../../ports/clock.ts";
import type { ActorMessage } from "../../ports/messages.ts";
import type { LocalTimerScheduler } from "./timer-scheduler.ts";

export interface TimerLoopOptions {
  /**
   * Longest sleep between looks: another process may schedule an earlier timer at any moment,
   * and SQLite cannot notify us, so this bounds how late such a timer fires.
   */
  intervalMs?: number;
  onFire?: (messages: ActorMessage[]) => void;
  /** A failed tick (e.g. the database stayed locked) is reported and retried, never fatal. */
  onError?: (error: unknown) => void;
}

/**
 * Fires due timers into the queue until stopped (`durable dev`'s timer loop).
 * @example const loop = new TimerLoop(ports.timers, ports.clock); loop.start(); await loop.stop();
 */
export class TimerLoop {
  private running: Promise<void> | null = null;
  private stopping = false;
  private readonly intervalMs: number;

  constructor(
    private readonly scheduler: LocalTimerScheduler,
    private readonly clock: Clock,
    private readonly options: TimerLoopOptions = {},
  ) {
    this.intervalMs = Math.max(1, options.intervalMs ?? 200);
  }

  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.running = this.run();
  }

  /** Resolves once the loop has finished its current tick; it fires nothing afterwards. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
    this.running = null;
  }

  /** One pass: fires everything due now. */
  async tick(): Promise<ActorMessage[]> {
    const fired = await this.scheduler.fireDueTimers(this.clock.now());
    if (fired.length > 0) this.options.onFire?.(fired);
    return fired;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let wait = this.intervalMs;
      try {
        await this.tick();
        const next = await this.scheduler.nextDueAt();
        if (next !== null) wait = Math.min(wait, Math.max(1, next - this.clock.now()));
      } catch (error) {
        this.options.onError?.(error);
      }
      if (!this.stopping) await this.clock.sleep(wait);
      // A manual clock's sleep resolves as a microtask; yielding keeps such a loop from starving the process.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
