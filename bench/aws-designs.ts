/**
 * The two designs under test, driven the same way: the real Lambda entry (createLambdaHandler on
 * the DynamoDB/SQS adapter) and the baseline handler. Each "instance" stands for one Lambda
 * execution environment: its own handler (so its own lease owner), one event at a time.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { createAwsPorts } from "../runtime/adapters/aws/create-aws-ports.ts";
import type { DurableInvokeEvent } from "../runtime/adapters/aws/invoke-event.ts";
import { createLambdaHandler, type DurableLambdaHandler } from "../runtime/adapters/aws/lambda.ts";
import type { AwsFabricSettings } from "../runtime/adapters/aws/settings.ts";
import { type BaselineHandler, createBaselineHandler } from "./baseline/baseline-handler.ts";
import { counter } from "./counter-actor.ts";
import { fakeContext, incrementMessages, sqsEvent } from "./lambda-fixtures.ts";
import { countFrom } from "./workloads.ts";

export interface Design {
  readonly name: "durable" | "baseline";
  /** Actor ids of this design start with it, so the two never share an item. */
  readonly prefix: string;
  /** One sync increment through instance `instance`; resolves with the count it answered. */
  increment(actorId: string, instance: number): Promise<number>;
  /** One SQS batch of `n` increments for one actor; throws unless every record succeeded. */
  batch(actorId: string, n: number): Promise<void>;
  /** The actor's count, read through a sync `get` (not measured). */
  count(actorId: string): Promise<number>;
}

export interface DesignEnv {
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
  settings: AwsFabricSettings;
  queueArn: string;
  instances: number;
  /** The durable design's warm grace per instance (0: every call acquires and loads). */
  warmGraceMs: number;
}

const FUNCTION = "durable-bench";

export function durableDesign(env: DesignEnv): Design {
  const ports = createAwsPorts({
    settings: env.settings,
    clients: { dynamodb: env.dynamodb, sqs: env.sqs },
    deadLetterWaitSeconds: 0,
  });
  // Turn logs and EMF metrics would flood the benchmark's output; dropping them costs nothing
  // the adapter measures, and Lambda writes them to CloudWatch asynchronously anyway. Each handler
  // is a container of its own, with its own warm actors.
  const handlers: DurableLambdaHandler[] = Array.from({ length: env.instances }, () =>
    createLambdaHandler([counter], { ports, write: () => undefined, warmGraceMs: env.warmGraceMs }),
  );
  const at = (instance: number): DurableLambdaHandler =>
    handlers[instance % handlers.length] as DurableLambdaHandler;
  const call = async (actorId: string, handler: string, instance: number): Promise<number> => {
    const reply = await at(instance)(counterInvoke(actorId, handler), fakeContext(FUNCTION));
    if (!reply.ok)
      throw new Error(`durable ${handler} on ${actorId}: ${reply.error.code} ${reply.error.message}`);
    return requireCount(reply.result, actorId);
  };
  return {
    name: "durable",
    prefix: "dl",
    increment: (actorId, instance) => call(actorId, "increment", instance),
    async batch(actorId, n) {
      const reply = await at(0)(sqsEvent(incrementMessages(actorId, n), env.queueArn), fakeContext(FUNCTION));
      if (reply.batchItemFailures.length > 0)
        throw new Error(`durable batch on ${actorId}: ${reply.batchItemFailures.length} failed`);
    },
    count: (actorId) => call(actorId, "get", 0),
  };
}

export function baselineDesign(env: DesignEnv): Design {
  const handlers: BaselineHandler[] = Array.from({ length: env.instances }, () =>
    createBaselineHandler({ client: env.dynamodb, tables: env.settings, actors: [counter] }),
  );
  const at = (instance: number): BaselineHandler => handlers[instance % handlers.length] as BaselineHandler;
  const call = async (actorId: string, handler: string, instance: number): Promise<number> => {
    const reply = await at(instance)(counterInvoke(actorId, handler), fakeContext(FUNCTION));
    return requireCount(reply.result, actorId);
  };
  return {
    name: "baseline",
    prefix: "bl",
    increment: (actorId, instance) => call(actorId, "increment", instance),
    async batch(actorId, n) {
      const reply = await at(0)(sqsEvent(incrementMessages(actorId, n), env.queueArn), fakeContext(FUNCTION));
      if (reply.batchItemFailures.length > 0)
        throw new Error(`baseline batch on ${actorId}: ${reply.batchItemFailures.length} failed`);
    },
    count: (actorId) => call(actorId, "get", 0),
  };
}

/** The direct invoke both designs answer: an increment by one, or a read. */
function counterInvoke(actorId: string, handler: string): DurableInvokeEvent {
  return {
    type: "durable.invoke",
    actorId,
    actorType: "counter",
    handler,
    input: handler === "increment" ? { by: 1 } : null,
  };
}

function requireCount(result: unknown, actorId: string): number {
  const count = countFrom(result);
  if (count === undefined) throw new Error(`${actorId} answered no count: ${JSON.stringify(result)}`);
  return count;
}
