import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import type { Output } from "../output.ts";
import { AdoptionRefusedError, executeAdoption, planAdoption, prepareAdoption } from "./adopt.ts";
import { type AwsEnvironment, sdkClientConfig } from "./aws-environment.ts";
import { DeployFailedError, KeptResourcesNotAdoptedError } from "./errors.ts";
import { describeKept, findKeptResources, keptResourcesOf } from "./kept-resources.ts";
import type { StageSynth } from "./synth.ts";
import { pollIntervalMs } from "./toolkit.ts";

export interface KeptStageOptions {
  aws: AwsEnvironment;
  account: string;
  stage: string;
  synth: StageSynth;
  out: Output;
}

/** The step that brings kept resources into the new stack; run it right before the deploy. */
export type Adoption = () => Promise<void>;

/**
 * Before the first deploy of a kept stage's stack (a new stage, or one `durable destroy` deleted),
 * looks for the tables, queues, bucket, schedule group, log group and scheduler role a destroy keeps. If
 * any exist, prepares a CloudFormation resource import of them into the new stack (checked, not
 * yet executed), so the redeployed stage has its data back. When they cannot be adopted, throws
 * KeptResourcesNotAdoptedError before anything changed: a plain create would fail on the names.
 */
export async function prepareKeptStage(options: KeptStageOptions): Promise<Adoption | undefined> {
  const { aws, account, stage, synth, out } = options;
  if (synth.devStage) return undefined;
  const cfn = new CloudFormationClient({ ...sdkClientConfig(aws), maxAttempts: 3 });
  let handedOver = false;
  try {
    if (await stackInUse(cfn, synth.stackName)) return undefined;
    const found = await findKeptResources(
      aws,
      keptResourcesOf(synth.stackName, { account, region: aws.region }),
    );
    if (found.length === 0) return undefined;
    const kept = describeKept(found);
    const plan = planAdoption(synth.template, found);
    if (typeof plan === "string") throw new KeptResourcesNotAdoptedError(stage, kept, plan);
    const adoption = { cfn, stackName: synth.stackName, plan, pollMs: pollIntervalMs(aws) };
    let changeSet: string;
    try {
      changeSet = await prepareAdoption(adoption);
    } catch (error) {
      if (error instanceof AdoptionRefusedError) {
        throw new KeptResourcesNotAdoptedError(stage, kept, error.reason, error);
      }
      throw error;
    }
    out.info(
      `stage ${stage} was destroyed and kept ${kept}; CloudFormation will import them into the new stack`,
    );
    handedOver = true;
    return async () => {
      const spinner = out.spinner(`importing ${plan.adoptees.length} kept resources into ${synth.stackName}`);
      try {
        await executeAdoption(adoption, changeSet);
      } catch (error) {
        spinner.stop();
        throw new DeployFailedError(
          synth.stackName,
          `adopting the kept resources: ${(error as Error).message}`,
          error,
        );
      } finally {
        cfn.destroy();
      }
      spinner.stop(`adopted ${kept}`);
    };
  } finally {
    if (!handedOver) cfn.destroy();
  }
}

/** A stack exists unless CloudFormation does not know it or it is an empty shell under review. */
async function stackInUse(cfn: CloudFormationClient, stackName: string): Promise<boolean> {
  try {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const status = Stacks?.[0]?.StackStatus ?? "DELETE_COMPLETE";
    return status !== "DELETE_COMPLETE" && status !== "REVIEW_IN_PROGRESS";
  } catch (error) {
    if (error instanceof Error && /does not exist/.test(error.message)) return false;
    throw error;
  }
}
