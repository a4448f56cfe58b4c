/**
 * The Durable Lambda runtime: what actor code and clients import. Backend adapters live in
 * ./adapters/local and ./adapters/aws and are loaded by the entry points, never from here, so a
 * Lambda bundle never pulls in bun:sqlite and the local path never pulls in the AWS SDK.
 */
export {
  type ActorContext,
  type ActorDefinition,
  type ActorLogger,
  type ActorOptions,
  type AlarmOptions,
  type AnyActorDefinition,
  actor,
  type FiredTimer,
  type HandlerArgs,
  type HandlerInput,
  type HandlerOutput,
  isActorDefinition,
  type StepInfo,
} from "./core/actor.ts";
export { type ActorClient, type ActorStub, client, httpInvoker } from "./core/client.ts";
export * from "./core/errors.ts";
export { Fabric, type FabricOptions } from "./core/fabric.ts";
export type {
  AsyncInvokeResponse,
  InvokeRequest,
  InvokeResponse,
  Invoker,
  SyncInvokeResponse,
} from "./core/invoker.ts";
export type { JsonObject, JsonValue } from "./core/json.ts";
export { assertActorId, isValidActorId, LIMITS } from "./core/limits.ts";
export type { MigrateOutcome, MigrateResult } from "./core/migrate-actor.ts";
export type { AnyMigration, MigrationMap } from "./core/migrations.ts";
export type { TurnLogEntry } from "./core/turn.ts";
