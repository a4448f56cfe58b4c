import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { EnvSource } from "./deploy/aws-environment.ts";
import { assertStageName } from "./deploy/stages.ts";
import { CliError } from "./errors.ts";
import type { Project } from "./project.ts";
import type { ActorTarget } from "./targets.ts";

/** What `durable deploy` records about a stage in .durable/stages/<stage>.json. */
export interface StageOutputs {
  stage: string;
  stackName: string;
  region: string;
  stateTable: string;
  locksTable: string;
  workflowsTable: string;
  /** States too large for an item (absent from stage files written before large states). */
  stateBucket?: string;
  queueUrl: string;
  /** The DLQs (absent from stage files written before they were recorded). */
  queueDlqUrl?: string;
  timerDlqUrl?: string;
  /** Signals EventBridge could not deliver, or the function failed on. */
  signalDlqUrl?: string;
  functionName: string;
  deployedAt: string;
  endpoint?: string;
}

export function stageFile(project: Project, stage: string): string {
  return join(project.root, ".durable", "stages", `${stage}.json`);
}

/** The recorded outputs, or undefined when this checkout never deployed the stage. */
export function findStageOutputs(project: Project, stage: string): StageOutputs | undefined {
  assertStageName(stage);
  const file = stageFile(project, stage);
  if (!existsSync(file)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new CliError("STAGE_FILE_INVALID", `${file} is not valid JSON`, {
      hint: `run durable deploy --stage ${stage} to rewrite it`,
      cause,
    });
  }
  const fields = [
    "stage",
    "stackName",
    "region",
    "stateTable",
    "locksTable",
    "queueUrl",
    "functionName",
  ] as const;
  const record = value as Record<string, unknown>;
  if (typeof value !== "object" || value === null || fields.some((f) => typeof record[f] !== "string")) {
    throw new CliError("STAGE_FILE_INVALID", `${file} does not describe a deployed stage`, {
      hint: `run durable deploy --stage ${stage} to rewrite it`,
    });
  }
  return value as StageOutputs;
}

export function readStageOutputs(project: Project, stage: string): StageOutputs {
  const outputs = findStageOutputs(project, stage);
  if (!outputs) {
    throw new CliError("STAGE_NOT_DEPLOYED", `stage "${stage}" has not been deployed from this project`, {
      hint: `run durable deploy --stage ${stage}, or drop --stage to use the local fabric`,
    });
  }
  return outputs;
}

/**
 * A deployed stage as an ActorTarget (see deploy/stage-actor-target.ts). The SDK clients and the
 * aws adapter load only here, when a command uses --stage: this module is also imported for its
 * readers by commands that start on every run. `env` is the command's environment (credentials,
 * AWS_ENDPOINT_URL); targets.ts passes none yet, so it defaults to the process's.
 */
export async function openStageTarget(
  project: Project,
  stage: string,
  env: EnvSource = process.env,
): Promise<ActorTarget> {
  const outputs = readStageOutputs(project, stage);
  const { stageActorTarget } = await import("./deploy/stage-actor-target.ts");
  return stageActorTarget(project, outputs, env);
}
