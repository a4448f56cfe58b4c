import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import type { CliContext } from "../context.ts";
import type { Output } from "../output.ts";
import { type AwsEnvironment, sdkClientConfig } from "./aws-environment.ts";
import { ConfirmationRequiredError, DeclinedError, DeployFailedError } from "./errors.ts";
import { bootstrapEnvironment, type ToolkitSession } from "./toolkit.ts";

/** The stack `cdk bootstrap` creates: the asset bucket and the deploy roles every CDK deploy uses. */
export const BOOTSTRAP_STACK = "CDKToolkit";

const USABLE = /^(CREATE_COMPLETE|UPDATE_COMPLETE|UPDATE_ROLLBACK_COMPLETE|IMPORT_COMPLETE)$/;

/** True when the region already has a usable bootstrap stack (one DescribeStacks call). */
export async function isBootstrapped(aws: AwsEnvironment): Promise<boolean> {
  const cfn = new CloudFormationClient({ ...sdkClientConfig(aws), maxAttempts: 3 });
  try {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: BOOTSTRAP_STACK }));
    return USABLE.test(Stacks?.[0]?.StackStatus ?? "");
  } catch (error) {
    // CloudFormation answers a missing stack with a ValidationError, not a 404.
    if (error instanceof Error && /does not exist/.test(error.message)) return false;
    throw error;
  } finally {
    cfn.destroy();
  }
}

export interface BootstrapCheckOptions {
  ctx: CliContext;
  out: Output;
  aws: AwsEnvironment;
  account: string;
  yes: boolean;
}

/**
 * Whether the account and region need bootstrapping, asked before anything is created: it puts an
 * S3 bucket and IAM roles in the user's account, which nobody should get without saying so (or
 * passing --yes). Throws when the user declines or there is no terminal to ask on.
 */
export async function confirmBootstrap(options: BootstrapCheckOptions): Promise<boolean> {
  const { ctx, out, aws, account, yes } = options;
  if (await isBootstrapped(aws)) return false;
  const where = `aws://${account}/${aws.region}`;
  const what = `bootstrapping ${where} (CDK's ${BOOTSTRAP_STACK} stack: an asset bucket and deploy roles)`;
  if (yes) return true;
  if (!ctx.prompts.interactive) throw new ConfirmationRequiredError(what);
  out.info(`${where} is not bootstrapped for CDK deployments yet.`);
  const ok = await ctx.prompts.confirm(`Create the ${BOOTSTRAP_STACK} stack in ${where} now?`, true);
  if (!ok) throw new DeclinedError(what);
  return true;
}

export async function bootstrap(
  session: ToolkitSession,
  out: Output,
  aws: AwsEnvironment,
  account: string,
): Promise<void> {
  const where = `aws://${account}/${aws.region}`;
  const spinner = out.spinner(`bootstrapping ${where}`);
  session.host.spinner = spinner;
  try {
    await bootstrapEnvironment(session, account, aws.region);
  } catch (error) {
    spinner.stop();
    throw new DeployFailedError(BOOTSTRAP_STACK, session.host.reason(error), error);
  } finally {
    session.host.spinner = undefined;
  }
  spinner.stop(`bootstrapped ${where}`);
}
