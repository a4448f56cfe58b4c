import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { FABRIC_OUTPUTS } from "../../infra/outputs.ts";
import type { Project } from "../project.ts";
import { type StageOutputs, stageFile } from "../stage-target.ts";

export interface StageOutputsInput {
  stage: string;
  stackName: string;
  region: string;
  endpoint: string | undefined;
  /** The deployed stack's outputs, keyed by FABRIC_OUTPUTS values. */
  outputs: Readonly<Record<string, string>>;
  now: Date;
}

/**
 * What later `--stage` commands need, taken from the stack outputs the fabric declares (not from
 * names derived here), so the file always describes what CloudFormation actually created.
 */
export function toStageOutputs(input: StageOutputsInput): StageOutputs {
  const { outputs, stackName } = input;
  const get = (key: string): string => {
    const value = outputs[key];
    if (!value)
      throw new Error(
        `stack ${stackName} has no output ${key}; the fabric declares it, so the deploy is incomplete`,
      );
    return value;
  };
  const functionName = get(FABRIC_OUTPUTS.functionNames).split(",")[0] ?? "";
  return {
    stage: input.stage,
    stackName,
    region: outputs[FABRIC_OUTPUTS.region] || input.region,
    stateTable: get(FABRIC_OUTPUTS.stateTable),
    locksTable: get(FABRIC_OUTPUTS.locksTable),
    workflowsTable: get(FABRIC_OUTPUTS.workflowsTable),
    stateBucket: get(FABRIC_OUTPUTS.stateBucket),
    queueUrl: get(FABRIC_OUTPUTS.queueUrl),
    queueDlqUrl: get(FABRIC_OUTPUTS.queueDlqUrl),
    timerDlqUrl: get(FABRIC_OUTPUTS.timerDlqUrl),
    signalDlqUrl: get(FABRIC_OUTPUTS.signalDlqUrl),
    functionName,
    deployedAt: input.now.toISOString(),
    ...(input.endpoint ? { endpoint: input.endpoint } : {}),
  };
}

export function writeStageOutputs(project: Project, outputs: StageOutputs): string {
  const file = stageFile(project, outputs.stage);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(outputs, null, 2)}\n`);
  return file;
}

export function deleteStageOutputs(project: Project, stage: string): void {
  rmSync(stageFile(project, stage), { force: true });
}
