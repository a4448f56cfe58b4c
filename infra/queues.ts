import { Duration, type RemovalPolicy } from "aws-cdk-lib";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { DEFAULTS, redriveMaxReceiveCount } from "../runtime/adapters/aws/config.ts";
import { acknowledge } from "./nag.ts";
import type { FabricNames } from "./names.ts";

export interface FabricQueuesProps {
  names: FabricNames;
  removalPolicy: RemovalPolicy;
  /** At least 6x the largest consuming function's timeout (see DurableFabric). */
  visibilityTimeout: Duration;
}

/**
 * The actor queue (FIFO, one message group per actor) with its FIFO DLQ, the standard delay queue
 * for near timers, the standard DLQ that Scheduler and the delay queue dead-letter into, and the
 * standard DLQ of signal deliveries. Every queue is encrypted and refuses requests without TLS.
 */
export class FabricQueues extends Construct {
  readonly queue: sqs.Queue;
  readonly queueDlq: sqs.Queue;
  readonly delayQueue: sqs.Queue;
  readonly timerDlq: sqs.Queue;
  readonly signalDlq: sqs.Queue;

  constructor(scope: Construct, id: string, props: FabricQueuesProps) {
    super(scope, id);
    const { names, removalPolicy, visibilityTimeout } = props;
    // Processed-message markers live as long as a message can exist, so effectively-once holds
    // for the queue's whole retention, not only SQS's 5-minute dedup window.
    const retentionPeriod = Duration.days(DEFAULTS.markerTtlDays);
    const encryption = sqs.QueueEncryption.SQS_MANAGED;
    // A queue policy denying every request without aws:SecureTransport.
    const enforceSSL = true;

    // A FIFO DLQ keeps the original enqueue time, so it needs at least the source's retention.
    this.queueDlq = new sqs.Queue(this, "ActorDlq", {
      queueName: names.queueDlq,
      fifo: true,
      retentionPeriod,
      encryption,
      enforceSSL,
      removalPolicy,
    });

    this.queue = new sqs.Queue(this, "ActorQueue", {
      queueName: names.queue,
      fifo: true,
      // Scheduler cannot set a MessageDeduplicationId on a FIFO target, so it needs content-based
      // dedup; the adapter's explicit ids (the message id) still take precedence.
      contentBasedDeduplication: true,
      // High-throughput FIFO: ordering and dedup only ever matter within one actor's group.
      deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      visibilityTimeout,
      retentionPeriod,
      encryption,
      enforceSSL,
      // The runtime parks an actor and dead-letters its message on the last permitted delivery;
      // SQS's own redrive is a backstop further out, for a store that stayed unreachable.
      deadLetterQueue: {
        queue: this.queueDlq,
        maxReceiveCount: redriveMaxReceiveCount(DEFAULTS.maxReceives),
      },
      removalPolicy,
    });

    this.timerDlq = new sqs.Queue(this, "TimerDlq", {
      queueName: names.timerDlq,
      retentionPeriod,
      encryption,
      enforceSSL,
      removalPolicy,
    });

    // Standard, because only standard queues honour per-message DelaySeconds; the function relays
    // each due message into the actor's FIFO group, which restores per-actor order.
    this.delayQueue = new sqs.Queue(this, "DelayQueue", {
      queueName: names.delayQueue,
      visibilityTimeout,
      retentionPeriod,
      encryption,
      enforceSSL,
      deadLetterQueue: { queue: this.timerDlq, maxReceiveCount: DEFAULTS.maxReceives },
      removalPolicy,
    });

    // Signals EventBridge could not deliver to the function, and signal invokes the function
    // failed after Lambda's own retries: both put the event itself in the body.
    this.signalDlq = new sqs.Queue(this, "SignalDlq", {
      queueName: names.signalDlq,
      retentionPeriod,
      encryption,
      enforceSSL,
      removalPolicy,
    });

    for (const dlq of [this.queueDlq, this.timerDlq, this.signalDlq]) {
      acknowledge(
        dlq,
        ["Serverless-SQSRedrivePolicy"],
        "This is a dead-letter queue: messages stay here for an operator to inspect and redrive; a DLQ of a DLQ would only hide them.",
      );
    }
  }
}
