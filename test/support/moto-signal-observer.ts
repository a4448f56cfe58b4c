import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { SIGNAL_SOURCE } from "../../runtime/adapters/aws/config.ts";
import type { SignalDetail } from "../../runtime/adapters/aws/eventbridge-signal-bus.ts";
import type { Signal } from "../../runtime/ports/signal-bus.ts";
import { uniquePrefix } from "./aws-fabric.ts";
import { motoServer } from "./moto.ts";

export interface SignalObserver {
  busName: string;
  eventbridge: EventBridgeClient;
  /** Every signal the rule delivered so far, in arrival order. */
  published(): Promise<Signal[]>;
  cleanup(): Promise<void>;
}

interface EventEnvelope {
  source?: string;
  "detail-type"?: string;
  detail?: SignalDetail;
}

/**
 * A bus on moto with the fabric's rule shape (source = SIGNAL_SOURCE) targeting a queue, so a test
 * sees what a deployed rule would route: the event EventBridge built from each PutEvents entry.
 */
export async function motoSignalObserver(): Promise<SignalObserver> {
  const moto = await motoServer();
  const eventbridge = new EventBridgeClient(moto.clientConfig());
  const sqs = new SQSClient(moto.clientConfig());
  const busName = uniquePrefix("bus");
  const ruleName = `${busName}-signals`;
  await eventbridge.send(new CreateEventBusCommand({ Name: busName }));
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: `${busName}-observer` }));
  const queueUrl = queue.QueueUrl ?? "";
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  await eventbridge.send(
    new PutRuleCommand({
      Name: ruleName,
      EventBusName: busName,
      EventPattern: JSON.stringify({ source: [SIGNAL_SOURCE] }),
    }),
  );
  await eventbridge.send(
    new PutTargetsCommand({
      Rule: ruleName,
      EventBusName: busName,
      Targets: [{ Id: "observer", Arn: attributes.Attributes?.QueueArn }],
    }),
  );
  const seen: Signal[] = [];
  return {
    busName,
    eventbridge,
    async published() {
      for (;;) {
        const result = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
        );
        const messages = result.Messages ?? [];
        if (messages.length === 0) return [...seen];
        for (const message of messages) {
          const event = JSON.parse(message.Body ?? "{}") as EventEnvelope;
          if (event.source !== SIGNAL_SOURCE || !event.detail) continue;
          const { id, source, at, detail } = event.detail;
          seen.push({ id, source, at, detail, type: event["detail-type"] ?? "" });
        }
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
    },
    async cleanup() {
      await eventbridge.send(
        new RemoveTargetsCommand({ Rule: ruleName, EventBusName: busName, Ids: ["observer"] }),
      );
      await eventbridge.send(new DeleteRuleCommand({ Name: ruleName, EventBusName: busName }));
      await eventbridge.send(new DeleteEventBusCommand({ Name: busName }));
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    },
  };
}
