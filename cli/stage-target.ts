import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CliError } from "./errors.ts";
import type { Project } from "./project.ts";
import type { ActorTarget } from "./targets.ts";

const STAGE_NAME = /^[a-z][a-z0-9-]{0,30}$/;

/** What `durable deploy` records about a stage in .durable/stages/<stage>.json. */
export interface StageOutputs {
  stage: string;
  stackName: string;
  region: string;
  stateTable: string;
  locksTable: string;
  workflowsTable: string;
  queueUrl: string;
  functionName: string;
  deployedAt: string;
  endpoint?: string;
}

export function stageFile(project: Project, stage: string): string {
  return join(project.root, ".durable", "stages", `${stage}.json`);
}

export function readStageOutputs(project: Project, stage: string): StageOutputs {
  if (!STAGE_NAME.test(stage)) {
    throw new CliError("USAGE", `invalid stage name "${stage}"`, { hint: "use lowercase letters, digits and -, starting with a letter" });
  }
  const file = stageFile(project, stage);
  if (!existsSync(file)) {
    throw new CliError("STAGE_NOT_DEPLOYED", `stage "${stage}" has not been deployed from this project`, {
      hint: `run durable deploy --stage ${stage}, or drop --stage to use the local fabric`,
    });
  }
  return JSON.parse(readFileSync(file, "utf8")) as StageOutputs;
}

export async function openStageTarget(project: Project, stage: string): Promise<ActorTarget> {
  const outputs = readStageOutputs(project, stage);
  throw new CliError("STAGE_UNSUPPORTED", `stage targets are not available in this build (${outputs.stackName})`);
}
