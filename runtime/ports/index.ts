export type {
  ActorRecord,
  ActorStore,
  ActorStoreLimits,
  BlobSweep,
  Lease,
  LoadedActor,
  ProcessedMarker,
  StrandedActor,
  TurnCommit,
  WaitingPage,
} from "./actor-store.ts";
export { type Clock, systemClock } from "./clock.ts";
export type { DeadLetter, DeadLetterEntry, Delivery, MessageQueue, ReceiveOptions } from "./message-queue.ts";
export type {
  ActorMessage,
  HeldMessage,
  MessageKind,
  OutboxEntry,
  ParkedRecord,
  TimerRecord,
  WaitingSummary,
} from "./messages.ts";
export type { Signal, SignalBus } from "./signal-bus.ts";
export type { StateBlobStore, StoredBlob } from "./state-blobs.ts";
export type { StepRecord, StepStore } from "./step-store.ts";
export type { ScheduledTimer, TimerScheduler } from "./timer-scheduler.ts";

import type { ActorStore } from "./actor-store.ts";
import type { Clock } from "./clock.ts";
import type { MessageQueue } from "./message-queue.ts";
import type { SignalBus } from "./signal-bus.ts";
import type { StepStore } from "./step-store.ts";
import type { TimerScheduler } from "./timer-scheduler.ts";

/** The ports one backend provides; the core turn runs on any set of them. */
export interface FabricPorts {
  store: ActorStore;
  steps: StepStore;
  queue: MessageQueue;
  timers: TimerScheduler;
  signals: SignalBus;
  clock: Clock;
}
