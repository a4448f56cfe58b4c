import type { DurableRedriveEvent } from "../../runtime/adapters/aws/invoke-event.ts";
import type { SignalDeliveryResult } from "../../runtime/adapters/aws/lambda-events.ts";
import type { RedriveResult } from "../../runtime/core/fabric.ts";
import type { JsonObject } from "../../runtime/core/json.ts";
import type { ActorRecord } from "../../runtime/ports/actor-store.ts";
import type { CliContext } from "../context.ts";
import { openProject } from "../project.ts";
import type { Letter } from "./letters.ts";

/** Where `durable dlq` acts: the local fabric's dead letters, or a deployed stage's two DLQs. */
export interface DlqTarget {
  /** Printed by every subcommand, as `durable state` prints it. */
  readonly description: string;
  /**
   * Every dead letter now, oldest first. On a stage each is hidden from other readers for
   * `holdSeconds` (a redrive or purge acts within that time), and released again by close().
   */
  letters(holdSeconds: number): Promise<Letter[]>;
  read(actorId: string): Promise<ActorRecord | null>;
  /** Fabric.redrive of one batch of an actor's letters; resolves once that committed. */
  redrive(event: DurableRedriveEvent): Promise<RedriveResult>;
  /** Hands a signal event from the signal DLQ to the function again (stages only). */
  deliverSignal(event: JsonObject): Promise<SignalDeliveryResult>;
  /** Removes letters from their DLQ; returns those it could not remove (they stay, to be redriven again). */
  remove(letters: readonly Letter[]): Promise<Letter[]>;
  /** Releases the letters still held. */
  close(): Promise<void>;
}

export interface DlqTargetOptions {
  /** Load the project's actors and run a fabric (redrive on the local fabric needs them). */
  fabric: boolean;
}

export async function openDlqTarget(
  ctx: Pick<CliContext, "cwd" | "env">,
  stage: string | undefined,
  options: DlqTargetOptions,
): Promise<DlqTarget> {
  const project = await openProject(ctx.cwd);
  if (stage !== undefined) {
    const { openStageDlq } = await import("./stage-dlq.ts");
    return openStageDlq(project, stage, ctx.env);
  }
  const { openLocalDlq } = await import("./local-dlq.ts");
  return openLocalDlq(project, options);
}
