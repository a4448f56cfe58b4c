import type { SerializedError } from "../../core/errors.ts";
import type { RedriveResult, UnparkResult } from "../../core/fabric.ts";
import type { JsonValue } from "../../core/json.ts";
import type { MigrateOutcome } from "../../core/migrate-actor.ts";
import type { ActorMessage } from "../../ports/messages.ts";

/**
 * The payload of a direct (RequestResponse) Lambda invoke of the fabric's function, as
 * `durable invoke --stage` and the typed client send it. Node-only; no SDK types.
 */
export interface DurableInvokeEvent {
  type: "durable.invoke";
  actorId: string;
  actorType?: string;
  handler?: string;
  input?: JsonValue;
  /** Idempotency key; generated when absent. */
  messageId?: string;
}

/** What the function returns for a DurableInvokeEvent: never a Lambda error for a user error. */
export type DurableInvokeResult =
  | {
      ok: true;
      messageId: string;
      actorId: string;
      actorType: string;
      handler: string;
      result: JsonValue;
      version: number;
      duplicate: boolean;
    }
  | { ok: false; error: SerializedError };

export function isDurableInvokeEvent(event: unknown): event is DurableInvokeEvent {
  return (
    typeof event === "object" && event !== null && (event as { type?: unknown }).type === "durable.invoke"
  );
}

/**
 * `durable state unpark --stage`: clear an actor's park through a fenced turn and run the messages
 * that waited behind it, in order, in the function (which has the handlers and their permissions).
 */
export interface DurableUnparkEvent {
  type: "durable.unpark";
  actorId: string;
  actorType?: string;
}

/** What the function returns for a DurableUnparkEvent. */
export type DurableUnparkResult = ({ ok: true } & UnparkResult) | { ok: false; error: SerializedError };

/**
 * `durable dlq redrive --stage`: put one actor's dead letters back ahead of its later messages
 * (Fabric.redrive), in the function, which has the handlers and their permissions.
 */
export interface DurableRedriveEvent {
  type: "durable.redrive";
  actorId: string;
  actorType?: string;
  /** The actor's dead letters, oldest first (at most REDRIVE_BATCH). */
  messages: ActorMessage[];
  /** Also clear the actor's park (the operator said so, and its poison message is among these). */
  unpark?: boolean;
  /**
   * Set for a signal whose route failed: `actorId` is then the subscribing actor type, and the
   * function routes the one message again with its own code before putting it back.
   */
  route?: { signalType: string };
}

/** Dead letters one DurableRedriveEvent carries at most: one turn puts them all back. */
export const REDRIVE_BATCH = 10;

/** What the function returns for a DurableRedriveEvent; `actorId` is where the messages went. */
export type DurableRedriveResult = ({ ok: true } & RedriveResult) | { ok: false; error: SerializedError };

/**
 * `durable migrate --stage`: bring these actors' stored states to the function's schema, each
 * through a fenced turn that runs no handler (at most MIGRATE_BATCH_MAX per event).
 */
export interface DurableMigrateEvent {
  type: "durable.migrate";
  actors: { actorId: string; actorType?: string }[];
}

/** What the function did with each actor of a DurableMigrateEvent, in order. */
export type DurableMigrateResult =
  | { ok: true; results: MigrateOutcome[] }
  | { ok: false; error: SerializedError };

export const MIGRATE_BATCH_MAX = 100;

export function isDurableMigrateEvent(event: unknown): event is DurableMigrateEvent {
  return (
    typeof event === "object" && event !== null && (event as { type?: unknown }).type === "durable.migrate"
  );
}

/** The schedule rule's event: relay stranded outboxes and drain waiting lists (see core/sweeper.ts). */
export interface DurableSweepEvent {
  type: "durable.sweep";
}

export function isDurableUnparkEvent(event: unknown): event is DurableUnparkEvent {
  return (
    typeof event === "object" && event !== null && (event as { type?: unknown }).type === "durable.unpark"
  );
}

export function isDurableRedriveEvent(event: unknown): event is DurableRedriveEvent {
  return (
    typeof event === "object" && event !== null && (event as { type?: unknown }).type === "durable.redrive"
  );
}

export function isDurableSweepEvent(event: unknown): event is DurableSweepEvent {
  return (
    typeof event === "object" && event !== null && (event as { type?: unknown }).type === "durable.sweep"
  );
}
