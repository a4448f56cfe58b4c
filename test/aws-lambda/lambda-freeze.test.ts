import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { InitializeMiddleware } from "@smithy/types";
import type { AwsPorts } from "../../runtime/adapters/aws/create-aws-ports.ts";
import { dynamoDbLocal } from "../support/dynamodb-local.ts";
import { fauxqs } from "../support/fauxqs.ts";
import {
  failing,
  type LambdaFixture,
  lambdaContext,
  lambdaFixture,
  message,
  receive,
  recordsFrom,
  signalEvent,
  sqsEvent,
} from "./lambda-support.ts";

/** Counts work in flight: SDK requests (every network call, ports or not) and port calls. */
class InFlight {
  requests = 0;
  requestsStarted = 0;
  portCalls = 0;
  portCallsStarted = 0;

  probeClients(dynamodb: DynamoDBClient, sqs: SQSClient): void {
    dynamodb.middlewareStack.add(this.#probe(), { step: "initialize", name: "freezeProbe" });
    sqs.middlewareStack.add(this.#probe(), { step: "initialize", name: "freezeProbe" });
  }

  #probe<I extends object, O extends object>(): InitializeMiddleware<I, O> {
    return (next) => async (args) => {
      this.requests++;
      this.requestsStarted++;
      try {
        return await next(args);
      } finally {
        this.requests--;
      }
    };
  }

  /** Every method of every port, wrapped so a call counts until its promise settles. */
  wrapPorts(ports: AwsPorts): AwsPorts {
    const wrap = <T extends object>(port: T): T =>
      new Proxy(port, {
        get: (target, key) => {
          const value: unknown = Reflect.get(target, key, target);
          if (typeof value !== "function") return value;
          return (...args: unknown[]) => {
            const result: unknown = value.apply(target, args);
            if (!(result instanceof Promise)) return result;
            this.portCalls++;
            this.portCallsStarted++;
            return result.finally(() => {
              this.portCalls--;
            });
          };
        },
      });
    return {
      ...ports,
      store: wrap(ports.store),
      steps: wrap(ports.steps),
      queue: wrap(ports.queue),
      timers: wrap(ports.timers),
      signals: wrap(ports.signals),
    };
  }
}

/** Timers started while installed that have neither fired nor been cleared. */
class PendingTimers {
  readonly pending = new Map<unknown, string>();
  created = 0;
  #restore: (() => void) | undefined;

  install(): void {
    const { setTimeout: set, clearTimeout: clear, setInterval: every, clearInterval: stop } = globalThis;
    const track = (handle: unknown, what: string) => {
      this.created++;
      this.pending.set(handle, what);
    };
    const patched = {
      setTimeout: ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
        const handle = set(() => {
          this.pending.delete(handle);
          fn(...args);
        }, ms);
        track(handle, `setTimeout(${ms})`);
        return handle;
      }) as typeof setTimeout,
      setInterval: ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
        const handle = every(() => fn(...args), ms);
        track(handle, `setInterval(${ms})`);
        return handle;
      }) as typeof setInterval,
      clearTimeout: ((handle: Parameters<typeof clearTimeout>[0]) => {
        this.pending.delete(handle);
        clear(handle);
      }) as typeof clearTimeout,
      clearInterval: ((handle: Parameters<typeof clearInterval>[0]) => {
        this.pending.delete(handle);
        stop(handle);
      }) as typeof clearInterval,
    };
    Object.assign(globalThis, patched);
    this.#restore = () =>
      Object.assign(globalThis, {
        setTimeout: set,
        clearTimeout: clear,
        setInterval: every,
        clearInterval: stop,
      });
  }

  uninstall(): void {
    this.#restore?.();
  }
}

describe("lambda entry: freeze safety", () => {
  let inFlight: InFlight;
  let timers: PendingTimers;
  let f: LambdaFixture;

  beforeEach(async () => {
    inFlight = new InFlight();
    const dynamodb = (await dynamoDbLocal()).client();
    const sqs = (await fauxqs()).client();
    inFlight.probeClients(dynamodb, sqs);
    f = await lambdaFixture("freeze", {
      clients: { dynamodb, sqs },
      wrap: (ports) => inFlight.wrapPorts(ports),
      handler: { retryDelayMs: () => 0 },
    });
    timers = new PendingTimers();
  });
  afterEach(() => timers.uninstall());

  /** Runs one invocation and checks that, the moment it resolves, nothing of it is still running or scheduled. */
  async function invokeFrozen<T>(run: () => Promise<T>): Promise<T> {
    timers.install();
    let result: T;
    try {
      result = await run();
    } finally {
      timers.uninstall();
    }
    expect({
      requests: inFlight.requests,
      portCalls: inFlight.portCalls,
      timers: [...timers.pending.values()],
    }).toEqual({ requests: 0, portCalls: 0, timers: [] });
    const started = { requests: inFlight.requestsStarted, portCalls: inFlight.portCallsStarted };
    // A frozen container runs nothing: work started after the promise resolved would be lost or run late.
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect({ requests: inFlight.requestsStarted, portCalls: inFlight.portCallsStarted }).toEqual(started);
    return result;
  }

  test("after a sync invoke that relays a timer resolves, no request, port call or timer is pending, and none starts later", async () => {
    const actorId = `reminder-${randomUUID().slice(0, 8)}`;
    const result = await invokeFrozen(() =>
      f.handler(
        { type: "durable.invoke", actorId, handler: "remind", input: { inMs: 1_000 } },
        lambdaContext(),
      ),
    );
    expect(result).toMatchObject({ ok: true });
    expect(timers.created).toBeGreaterThan(0);
    expect(inFlight.requestsStarted).toBeGreaterThan(2);
  }, 60_000);

  test("after an SQS batch with a failure (retry scheduled, relay done) resolves, nothing is pending", async () => {
    const ids = [0, 1, 2].map((i) => `ledger-freeze${i}-${randomUUID().slice(0, 6)}`);
    await f.ports.queue.send(ids.map((actorId, i) => message(actorId, "append", { entry: `freeze-${i}` })));
    const received = await receive(f.sqs, f.settings.queueUrl);
    expect(received).toHaveLength(3);
    failing.add("freeze-1");
    try {
      const result = await invokeFrozen(() =>
        f.handler(sqsEvent(recordsFrom(received, f.settings.queueArn ?? "")), lambdaContext()),
      );
      expect(result.batchItemFailures).toHaveLength(1);
    } finally {
      failing.delete("freeze-1");
    }
  }, 60_000);

  test("after an EventBridge signal and a delay-queue relay resolve, nothing is pending", async () => {
    const routed = await invokeFrozen(() =>
      f.handler(
        signalEvent("order.paid", { orderId: "o-9", region: `fz${randomUUID().slice(0, 6)}` }),
        lambdaContext(),
      ),
    );
    expect(routed.routed).toBe(1);
    await f.handler(
      {
        type: "durable.invoke",
        actorId: `reminder-${randomUUID().slice(0, 8)}`,
        handler: "remind",
        input: { inMs: 1_000 },
      },
      lambdaContext(),
    );
    const delayed = await receive(f.sqs, f.settings.delayQueueUrl ?? "", 5);
    expect(delayed).toHaveLength(1);
    const relayed = await invokeFrozen(() =>
      f.handler(sqsEvent(recordsFrom(delayed, f.delayQueueArn)), lambdaContext()),
    );
    expect(relayed).toEqual({ batchItemFailures: [] });
  }, 60_000);
});
