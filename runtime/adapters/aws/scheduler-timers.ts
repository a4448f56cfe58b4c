import { randomUUID } from "node:crypto";
import {
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  type SchedulerClient,
} from "@aws-sdk/client-scheduler";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { timerMessage } from "../../core/timer-message.ts";
import type { Clock } from "../../ports/clock.ts";
import type { ScheduledTimer, TimerScheduler } from "../../ports/timer-scheduler.ts";
import { DEFAULTS, ENV } from "./config.ts";
import { isErrorNamed, relayError } from "./errors.ts";
import { sendInOrder } from "./sqs-send.ts";
import {
  atExpression,
  delayedTimerBody,
  relayDeduplicationId,
  scheduleName,
  timerBody,
} from "./timer-envelope.ts";

export interface SchedulerTimersOptions {
  scheduler: SchedulerClient;
  sqs: SQSClient;
  clock: Clock;
  /** The FIFO actor queue: due timers go straight in. */
  queueUrl: string;
  /** Scheduler's target and the role it assumes; required once a timer is 15 minutes or more away. */
  queueArn?: string | undefined;
  roleArn?: string | undefined;
  group?: string | undefined;
  /** Where Scheduler dead-letters a delivery it could not make. */
  dlqArn?: string | undefined;
  /** Standard queue for timers under 15 minutes (seconds precision instead of Scheduler's minute). */
  delayQueueUrl?: string | undefined;
}

/** Scheduler's own retries of one delivery: a day of attempts before the DLQ. */
const RETRY_POLICY = { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 };
const PARALLEL = 8;

/**
 * TimerScheduler on EventBridge Scheduler one-time `at()` schedules that deliver the timer message
 * into the actor's FIFO group, one schedule per timer id (see scheduleName). Near timers use the
 * delay queue, due ones go straight to the queue. Every path is at-least-once and never early; the
 * turn drops fires of replaced or cancelled timer ids.
 */
export class SchedulerTimers implements TimerScheduler {
  constructor(private readonly options: SchedulerTimersOptions) {}

  async schedule(timers: readonly ScheduledTimer[]): Promise<void> {
    // One relay may carry a timer id twice (an early fire set again before the list was cleared);
    // one schedule per id is enough, and every entry of an id names the same time.
    const unique = new Map<string, ScheduledTimer>();
    for (const timer of timers) unique.set(`${timer.actorId}\n${timer.timerId}`, timer);
    const now = this.options.clock.now();
    const due: ScheduledTimer[] = [];
    const near: ScheduledTimer[] = [];
    const far: ScheduledTimer[] = [];
    for (const timer of unique.values()) {
      const wait = timer.at - now;
      if (wait <= 0) due.push(timer);
      else if (this.options.delayQueueUrl && wait < DEFAULTS.delayQueueMaxSeconds * 1000) near.push(timer);
      else far.push(timer);
    }
    await settleAll([this.sendDue(due), this.sendNear(near, now), pool(far, (timer) => this.create(timer))]);
  }

  async cancel(timers: readonly { actorId: string; name: string; timerId: string }[]): Promise<void> {
    // The schedule's name is this timer id's own, so deleting it can never remove a newer timer.
    // Delay-queue and already-due timers cannot be recalled; the turn drops their fire as stale.
    await pool(timers, (timer) => this.deleteSchedule(timer));
  }

  private async sendDue(timers: readonly ScheduledTimer[]): Promise<void> {
    if (timers.length === 0) return;
    const salt = randomUUID();
    await sendInOrder(
      this.options.sqs,
      this.options.queueUrl,
      timers.map((timer) => {
        const body = timerBody(timer);
        return {
          body,
          bytes: Buffer.byteLength(body),
          groupId: timer.actorId,
          deduplicationId: relayDeduplicationId(timer, salt),
        };
      }),
    );
  }

  private async sendNear(timers: readonly ScheduledTimer[], now: number): Promise<void> {
    const url = this.options.delayQueueUrl;
    if (timers.length === 0 || !url) return;
    await sendInOrder(
      this.options.sqs,
      url,
      timers.map((timer) => {
        const body = delayedTimerBody(timer);
        // Rounded up: SQS delays whole seconds, and a timer must never fire early.
        return {
          body,
          bytes: Buffer.byteLength(body),
          delaySeconds: Math.min(DEFAULTS.delayQueueMaxSeconds, Math.ceil((timer.at - now) / 1000)),
        };
      }),
    );
  }

  private async create(timer: ScheduledTimer): Promise<void> {
    const input = this.scheduleInput(timer);
    try {
      await this.options.scheduler.send(new CreateScheduleCommand(input));
    } catch (error) {
      // The name belongs to this timer id alone, so a conflict means a replayed relay already
      // scheduled it, for the same time.
      if (isErrorNamed(error, "ConflictException")) return;
      // Scheduler refuses an at() that passed while the request was in flight; such a timer is due.
      if (isErrorNamed(error, "ValidationException") && timer.at <= this.options.clock.now() + 60_000) {
        return this.sendDue([timer]);
      }
      throw relayError(error, `scheduling timer "${timer.name}" of ${timer.actorId}`);
    }
  }

  private scheduleInput(timer: ScheduledTimer): CreateScheduleCommandInput {
    const { queueArn, roleArn, group, dlqArn } = this.options;
    if (!queueArn || !roleArn) {
      throw relayError(
        new Error(`timers 15 minutes or more away need ${ENV.queueArn} and ${ENV.schedulerRoleArn}`),
        `scheduling timer "${timer.name}" of ${timer.actorId}`,
      );
    }
    return {
      Name: scheduleName(timer.actorId, timer.timerId),
      GroupName: group,
      ScheduleExpression: atExpression(timer.at),
      ScheduleExpressionTimezone: "UTC",
      FlexibleTimeWindow: { Mode: "OFF" },
      ActionAfterCompletion: "DELETE",
      Description: `${timer.actorId} ${timer.name} ${timerMessage(timer).id}`.slice(0, 512),
      Target: {
        Arn: queueArn,
        RoleArn: roleArn,
        Input: timerBody(timer),
        SqsParameters: { MessageGroupId: timer.actorId },
        RetryPolicy: RETRY_POLICY,
        ...(dlqArn ? { DeadLetterConfig: { Arn: dlqArn } } : {}),
      },
    };
  }

  private async deleteSchedule(timer: { actorId: string; name: string; timerId: string }): Promise<void> {
    try {
      await this.options.scheduler.send(
        new DeleteScheduleCommand({
          Name: scheduleName(timer.actorId, timer.timerId),
          GroupName: this.options.group,
        }),
      );
    } catch (error) {
      // Never created (a delay-queue or due timer), already fired, or already cancelled: all done.
      if (isErrorNamed(error, "ResourceNotFoundException")) return;
      throw relayError(error, `deleting the schedule of timer "${timer.name}" of ${timer.actorId}`);
    }
  }
}

/** Runs `fn` over items with bounded concurrency (Scheduler's API rate is per account). */
async function pool<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await settleAll(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
}

/**
 * Waits for every request, then throws the first failure: a Lambda freezes as soon as its handler
 * settles, so a failure must not leave sibling requests running.
 */
async function settleAll(promises: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failure) throw failure.reason;
}
