import type { FabricPorts } from "../ports/index.ts";
import type { DeadLetterEntry } from "../ports/message-queue.ts";
import type { ActorMessage, OutboxEntry } from "../ports/messages.ts";
import type { Signal } from "../ports/signal-bus.ts";
import type { ScheduledTimer } from "../ports/timer-scheduler.ts";
import { RelayFailedError } from "./errors.ts";

/**
 * Delivers a committed outbox: messages to the queue, timers to the scheduler, signals to the bus,
 * then drops the entries from the record. Every destination dedupes by entry id, so relaying the
 * same entries again (after a crash, or by the next turn) is safe. Order is kept per target actor.
 * Resolves true when the record's outbox was cleared too.
 */
export async function relayOutbox(
  ports: FabricPorts,
  actorId: string,
  version: number,
  entries: readonly OutboxEntry[],
): Promise<boolean> {
  const sends: ActorMessage[] = [];
  const schedules: ScheduledTimer[] = [];
  const cancels: { actorId: string; name: string; timerId: string }[] = [];
  const signals: Signal[] = [];
  const deadLetters: DeadLetterEntry[] = [];
  const now = ports.clock.now();
  for (const entry of entries) {
    switch (entry.kind) {
      case "send":
        sends.push(entry.message);
        break;
      case "timer.set":
        schedules.push({
          actorId: entry.actorId,
          actorType: entry.actorType,
          name: entry.name,
          timerId: entry.timerId,
          at: entry.at,
        });
        break;
      case "timer.cancel":
        cancels.push({ actorId: entry.actorId, name: entry.name, timerId: entry.timerId });
        break;
      case "signal":
        signals.push({ id: entry.id, source: entry.source, type: entry.type, detail: entry.detail, at: now });
        break;
      case "deadLetter":
        deadLetters.push({
          id: entry.id,
          message: entry.message,
          reason: entry.reason,
          receiveCount: entry.receiveCount,
        });
        break;
    }
  }
  // A cancel always follows the set of its timer id, so a set whose id is cancelled later in the same
  // list (a name set twice in one turn, or an unrelayed turn's set replaced by this one) is dead:
  // scheduling it would only leave a stale fire behind.
  const cancelled = new Set(cancels.map((cancel) => cancel.timerId));
  const live = schedules.filter((timer) => !cancelled.has(timer.timerId));
  // Cancels first, so a pending old timer id is gone before its replacement is scheduled.
  if (cancels.length > 0) await ports.timers.cancel(cancels);
  // Settled, not raced: a Lambda freezes once its handler settles, so one failing destination must
  // not leave another's request running.
  const results = await Promise.allSettled([
    sends.length > 0 ? ports.queue.send(sends) : undefined,
    live.length > 0 ? ports.timers.schedule(live) : undefined,
    signals.length > 0 ? ports.signals.publish(signals) : undefined,
    deadLetters.length > 0 ? ports.queue.deadLetter(deadLetters) : undefined,
  ]);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failure) throw failure.reason;
  // Everything left; clearing is bookkeeping. If it fails, the outbox is relayed again (by the next
  // turn or the sweeper) and every destination drops the repeat, so the call still succeeded.
  return await ports.store.clearOutbox(actorId, version).then(
    () => true,
    () => false,
  );
}

/**
 * Relays, turning any failure into a RelayFailedError that says what is true: the turn committed,
 * its effects stay in the outbox, and the sweeper (or the actor's next turn) relays them.
 */
export async function relayOrExplain(
  ports: FabricPorts,
  actorId: string,
  version: number,
  entries: readonly OutboxEntry[],
  messages: readonly ActorMessage[],
): Promise<boolean> {
  try {
    return await relayOutbox(ports, actorId, version, entries);
  } catch (cause) {
    const messageIds = messages.map((m) => m.id);
    const retryable = messages.every((m) => !m.transient);
    throw new RelayFailedError(
      `actor ${actorId} committed version ${version}, but relaying its ${entries.length} effects failed: ${(cause as Error).message}`,
      {
        cause,
        details: { actorId, version, messageIds },
        hint: retryable
          ? `nothing is lost: the effects stay in the outbox and are relayed within minutes without another call; retrying with message id ${messageIds.join(", ")} returns the stored result`
          : "nothing is lost: the effects stay in the outbox and are relayed within minutes without another call; do not repeat the call: it had no message id, so a repeat would be applied again",
      },
    );
  }
}
