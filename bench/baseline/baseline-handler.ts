/**
 * A Lambda handler on the baseline protocol (baseline-store.ts): the same event shapes and the
 * same actor definitions as the real entry, one message at a time, each paying lock → load →
 * save → release. It runs the user's handler through the core's own context, so both designs
 * execute identical actor code and differ only in how they reach DynamoDB.
 */
import { randomUUID } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { DurableInvokeEvent } from "../../runtime/adapters/aws/invoke-event.ts";
import { decodeMessage } from "../../runtime/adapters/aws/sqs-codec.ts";
import type { AnyActorDefinition } from "../../runtime/core/actor.ts";
import { createContext } from "../../runtime/core/context.ts";
import { assertJson, cloneJson, type JsonObject, type JsonValue } from "../../runtime/core/json.ts";
import { ActorRegistry } from "../../runtime/core/registry.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import type { StepStore } from "../../runtime/ports/step-store.ts";
import { BaselineStore, type BaselineTables, LockHeldError } from "./baseline-store.ts";

export interface BaselineHandlerOptions {
  client: DynamoDBClient;
  tables: BaselineTables;
  actors: readonly AnyActorDefinition[];
  lockMs?: number;
  lockWaitMs?: number;
}

export interface BaselineInvokeResult {
  ok: true;
  result: JsonValue;
  version: number;
  duplicate: boolean;
}

export type BaselineHandler = {
  (event: DurableInvokeEvent, context: Context): Promise<BaselineInvokeResult>;
  (event: SQSEvent, context: Context): Promise<SQSBatchResponse>;
};

const noSteps: StepStore = {
  list: () => Promise.reject(new Error("the baseline runs no workflows")),
  record: () => Promise.reject(new Error("the baseline runs no workflows")),
};
const quietLog = { debug() {}, info() {}, warn() {}, error() {} };

export function createBaselineHandler(options: BaselineHandlerOptions): BaselineHandler {
  const store = new BaselineStore(options.client, options.tables);
  const registry = new ActorRegistry(options.actors);
  const lockMs = options.lockMs ?? 30_000;
  const lockWaitMs = options.lockWaitMs ?? 15_000;

  async function lock(actorId: string, owner: string): Promise<void> {
    const started = Date.now();
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      try {
        return await store.lock(actorId, owner, lockMs);
      } catch (error) {
        if (!(error instanceof LockHeldError) || Date.now() - started > lockWaitMs) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())));
      }
    }
  }

  /** One message, four round trips. */
  async function apply(message: ActorMessage): Promise<BaselineInvokeResult> {
    const def = registry.resolveType(message.actorId, message.actorType);
    const owner = randomUUID();
    await lock(message.actorId, owner);
    try {
      const loaded = await store.load(message.actorId);
      const state = loaded.state ?? (cloneJson(def.options.state()) as JsonObject);
      const handle = createContext({
        actorId: message.actorId,
        actorType: def.name,
        version: loaded.version,
        message,
        now: Date.now(),
        state: cloneJson(state),
        timers: {},
        registry,
        call: () => Promise.reject(new Error("the baseline runs no actor-to-actor calls")),
        steps: noSteps,
        log: quietLog,
      });
      const handler = def.options.handlers[registry.resolveHandler(def, message.handler)];
      if (!handler) throw new Error(`no handler ${message.handler}`);
      const value = await handler(handle.ctx, message.input);
      handle.close();
      if (handle.outbox.length > 0)
        throw new Error("the baseline runs state-only actors (no sends, timers, signals)");
      const result = value === undefined ? null : assertJson(value, "handler result");
      const next = assertJson(handle.ctx.state, "state") as JsonObject;
      const version = await store.save(message.actorId, def.name, loaded, next);
      return { ok: true, result, version, duplicate: false };
    } finally {
      await store.release(message.actorId, owner);
    }
  }

  async function handle(
    event: DurableInvokeEvent | SQSEvent,
  ): Promise<BaselineInvokeResult | SQSBatchResponse> {
    if (!("Records" in event)) {
      return apply({
        id: event.messageId ?? randomUUID(),
        actorId: event.actorId,
        actorType: event.actorType,
        handler: event.handler ?? "increment",
        input: event.input,
        kind: "call",
        sentAt: Date.now(),
      });
    }
    const failures: SQSBatchResponse["batchItemFailures"] = [];
    const failedGroups = new Set<string>();
    for (const record of event.Records) {
      const message = decodeMessage(record.body);
      const group = record.attributes.MessageGroupId ?? message?.actorId ?? "";
      // FIFO: after a failure in a group, the rest of that group must wait for the redelivery.
      if (!message || failedGroups.has(group)) {
        failures.push({ itemIdentifier: record.messageId });
        failedGroups.add(group);
        continue;
      }
      try {
        await apply(message);
      } catch {
        failures.push({ itemIdentifier: record.messageId });
        failedGroups.add(group);
      }
    }
    return { batchItemFailures: failures };
  }

  return handle as BaselineHandler;
}
