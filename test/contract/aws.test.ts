import { beforeAll } from "bun:test";
import { DynamoActorStore } from "../../runtime/adapters/aws/dynamodb-actor-store.ts";
import { DynamoStepStore } from "../../runtime/adapters/aws/dynamodb-step-store.ts";
import { EventBridgeSignalBus } from "../../runtime/adapters/aws/eventbridge-signal-bus.ts";
import { SchedulerTimers } from "../../runtime/adapters/aws/scheduler-timers.ts";
import { SqsMessageQueue } from "../../runtime/adapters/aws/sqs-message-queue.ts";
import { systemClock } from "../../runtime/ports/clock.ts";
import { ManualClock } from "../../runtime/testing/manual-clock.ts";
import { drainQueue, emulatorClients, freshQueues, sharedTables } from "../support/aws-fabric.ts";
import { FakeScheduler } from "../support/fake-scheduler.ts";
import { motoServer } from "../support/moto.ts";
import { motoSignalObserver } from "../support/moto-signal-observer.ts";
import { actorStoreContract } from "./actor-store.contract.ts";
import { messageQueueContract } from "./message-queue.contract.ts";
import { signalBusContract } from "./signal-bus.contract.ts";
import { stepStoreContract } from "./step-store.contract.ts";
import { timerSchedulerContract } from "./timer-scheduler.contract.ts";

/*
 * Every port contract against the aws adapter on real emulators: DynamoDB Local (tables shared by
 * the process; cases use fresh actor ids), fauxqs (a fresh FIFO queue and DLQ per case, since some
 * cases look at everything a queue holds) and moto (EventBridge delivering to a rule's target queue).
 * Emulators start on the first case that needs them and stop when the run ends.
 */

// Emulators start here, under a generous timeout, rather than inside the first case's 5 s budget.
beforeAll(() => Promise.all([emulatorClients(), sharedTables(), motoServer()]), 60_000);

const noCleanup = async (): Promise<void> => undefined;
const QUEUE_MAX_RECEIVES = 3;

actorStoreContract("aws", async () => {
  const [{ dynamodb }, tables] = await Promise.all([emulatorClients(), sharedTables()]);
  const store = new DynamoActorStore({
    client: dynamodb,
    stateTable: tables.stateTable,
  });
  return { store, cleanup: noCleanup };
});

stepStoreContract("aws", async () => {
  const [{ dynamodb }, tables] = await Promise.all([emulatorClients(), sharedTables()]);
  return {
    steps: new DynamoStepStore({ client: dynamodb, table: tables.workflowsTable, clock: systemClock }),
    cleanup: noCleanup,
  };
});

messageQueueContract("aws", async () => {
  const { sqs } = await emulatorClients();
  // A redrive slack of 1: the backstop case waits out one real second per delivery.
  const queues = await freshQueues("mq", {
    delayQueue: false,
    maxReceives: QUEUE_MAX_RECEIVES,
    redriveSlackReceives: 1,
  });
  const queue = new SqsMessageQueue({
    client: sqs,
    queueUrl: queues.queueUrl,
    dlqUrl: queues.queueDlqUrl,
    // Three, not the default five: the visibility case waits out one real second per receive and
    // must finish within bun's 5 s per-case timeout. The redrive policy below says the same.
    maxReceives: QUEUE_MAX_RECEIVES,
    // fauxqs answers a short poll with everything it holds; waiting would only slow the cases.
    deadLetterWaitSeconds: 0,
  });
  return {
    queue,
    // fauxqs keeps visibility and delays in wall time: the cases' time passes for real.
    advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    settleMs: 50,
    redriveAfter: QUEUE_MAX_RECEIVES + 1,
    cleanup: queues.destroy,
  };
});

/*
 * EventBridge Scheduler has no emulator: FakeScheduler stands in for the service behind a real
 * SchedulerClient and delivers due schedules into the fauxqs FIFO queue as Scheduler would. The
 * fabric here has no delay queue, so every future timer goes through (fake) Scheduler; SQS delays
 * run on wall time, which a case's jumps in time cannot move (test/aws/scheduler-timers.test.ts
 * covers the delay-queue path with real seconds). The clock starts on a whole second because
 * at() has one-second resolution and the adapter rounds up, never early.
 */
timerSchedulerContract("aws", async () => {
  const { sqs } = await emulatorClients();
  const queues = await freshQueues("timers", { delayQueue: false });
  const clock = new ManualClock(Math.ceil(Date.now() / 1000) * 1000);
  const fake = new FakeScheduler(sqs, (arn) => {
    if (arn !== queues.queueArn) throw new Error(`the fake scheduler knows no queue ${arn}`);
    return queues.queueUrl;
  });
  const scheduler = new SchedulerTimers({
    scheduler: fake.client,
    sqs,
    clock,
    queueUrl: queues.queueUrl,
    queueArn: queues.queueArn,
    roleArn: "arn:aws:iam::000000000000:role/durable-scheduler",
    dlqArn: queues.timerDlqArn,
  });
  const inbox = new SqsMessageQueue({
    client: sqs,
    queueUrl: queues.queueUrl,
    dlqUrl: queues.queueDlqUrl,
    clock,
  });
  return {
    scheduler,
    now: () => clock.now(),
    fire: async (now) => {
      await fake.fireDue(now);
      return drainQueue(inbox);
    },
    exactCancel: true,
    cleanup: queues.destroy,
  };
});

signalBusContract("aws", async () => {
  const observer = await motoSignalObserver();
  return {
    bus: new EventBridgeSignalBus({ client: observer.eventbridge, busName: observer.busName }),
    published: () => observer.published(),
    cleanup: () => observer.cleanup(),
  };
});
