import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { DynamoFleetIndex } from "../../runtime/adapters/aws/dynamodb-fleet-index.ts";
import { isErrorNamed } from "../../runtime/adapters/aws/errors.ts";
import { deduplicationId, encodeMessage } from "../../runtime/adapters/aws/sqs-codec.ts";
import { invokeMessage } from "../../runtime/core/invoke-message.ts";
import type { InvokeRequest, InvokeResponse } from "../../runtime/core/invoker.ts";
import { newMessageId } from "../../runtime/core/invoker.ts";
import { assertActorId } from "../../runtime/core/limits.ts";
import { ActorRegistry } from "../../runtime/core/registry.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import { CliError } from "../errors.ts";
import type { Project } from "../project.ts";
import type { StageOutputs } from "../stage-target.ts";
import { type ActorTarget, abortableSleep } from "../targets.ts";
import type { EnvSource } from "./aws-environment.ts";
import { openStageClients } from "./stage-clients.ts";
import { guard, invokeFunction, unparkOnStage } from "./stage-requests.ts";

/** How often `state tail` reads a stage's state item: DynamoDB has no change feed the CLI could hold open cheaply. */
const TAIL_POLL_MS = 1000;

/**
 * A deployed stage as an ActorTarget: sync invokes are a direct Lambda invoke of the fabric's
 * function, async ones go straight onto the actor FIFO queue (the function consumes it), reads are
 * consistent DynamoDB reads of the state item. Requests are validated against the project's actor
 * definitions before anything is sent, exactly as the local fabric validates them.
 * `env` is the command's environment (credentials, AWS_ENDPOINT_URL).
 */
export function stageActorTarget(project: Project, outputs: StageOutputs, env: EnvSource): ActorTarget {
  const { stage } = outputs;
  const clients = openStageClients(outputs, env);
  const { lambda, sqs, store } = clients;
  const fleet = new DynamoFleetIndex({ client: clients.dynamodb, stateTable: outputs.stateTable });
  let registry: ActorRegistry | undefined;
  const toMessage = async (request: InvokeRequest): Promise<ActorMessage> => {
    // The id is checked before the actors load, so a bad id never waits on the project's imports.
    assertActorId(request.actorId);
    registry ??= new ActorRegistry(await project.loadActors());
    // The id is made here, not by the function, so a retried request is applied once.
    return invokeMessage(
      registry,
      { ...request, messageId: request.messageId ?? newMessageId() },
      Date.now(),
    );
  };
  const where = `stage ${stage}`;

  return {
    description: clients.description,
    kind: "stage",
    async invoke(request): Promise<InvokeResponse> {
      const message = await toMessage(request);
      const base = {
        messageId: message.id,
        actorId: message.actorId,
        actorType: message.actorType ?? "",
        handler: message.handler,
      };
      if (request.mode === "async") {
        const encoded = encodeMessage(message, message.sentAt ?? Date.now());
        await guard(where, `queueing ${message.handler} for ${message.actorId}`, () =>
          sqs.send(
            new SendMessageCommand({
              QueueUrl: outputs.queueUrl,
              MessageBody: encoded.body,
              MessageAttributes: encoded.attributes,
              MessageGroupId: message.actorId,
              MessageDeduplicationId: deduplicationId(message.id),
            }),
          ),
        );
        return { mode: "async", ...base, queued: true };
      }
      return invokeFunction(lambda, outputs.functionName, message, stage);
    },
    async read(actorId) {
      assertActorId(actorId);
      return store.read(actorId);
    },
    async follow(actorId, onVersion, signal) {
      assertActorId(actorId);
      // Only the latest version is stored, so versions committed between two polls are skipped.
      let last = (await store.read(actorId))?.version ?? 0;
      while (!signal.aborted) {
        await abortableSleep(TAIL_POLL_MS, signal);
        if (signal.aborted) break;
        const record = await store.read(actorId);
        if (record && record.version > last) {
          last = record.version;
          onVersion({ actorId, version: record.version, state: record.state, at: record.updatedAt });
        }
      }
    },
    async unpark(actorId, actorType) {
      assertActorId(actorId);
      return unparkOnStage(lambda, outputs.functionName, actorId, actorType, stage);
    },
    async waiting(actorId, limit) {
      assertActorId(actorId);
      return store.loadWaiting(actorId, limit);
    },
    async versions(actorId, beforeVersion) {
      assertActorId(actorId);
      // The State table holds only the latest version; PITR restores whole tables, not versions.
      const record = await store.read(actorId);
      const latest =
        record && (beforeVersion === undefined || record.version < beforeVersion)
          ? [{ actorId, version: record.version, state: record.state, at: record.updatedAt }]
          : [];
      return { versions: latest, kept: "latest", more: false };
    },
    async list(query) {
      try {
        return await fleet.list(query);
      } catch (error) {
        // DynamoDB's answer to a Query of an index the table does not have.
        if (isErrorNamed(error, "ValidationException") && /index/i.test((error as Error).message)) {
          throw new CliError(
            "FLEET_INDEX_MISSING",
            `stage ${stage}'s State table has no fleet index: it was deployed by an earlier durable`,
            {
              hint: `run durable deploy --stage ${stage}; each actor is listed from its next committed turn on`,
              cause: error,
            },
          );
        }
        throw error;
      }
    },
    close() {
      clients.destroy();
    },
  };
}
