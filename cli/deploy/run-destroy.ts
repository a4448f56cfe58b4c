import { stateBucketName } from "../../infra/names.ts";
import type { CliContext } from "../context.ts";
import { Output } from "../output.ts";
import { openProject } from "../project.ts";
import { findStageOutputs } from "../stage-target.ts";
import type { DestroyArgs } from "./args.ts";
import { callerAccount, resolveAwsEnvironment } from "./aws-environment.ts";
import {
  ConfirmationRequiredError,
  DeclinedError,
  DestroyFailedError,
  EndpointMismatchError,
  firstLineOf,
} from "./errors.ts";
import {
  deleteKeptResources,
  describeKept,
  emptyStateBucket,
  findKeptResources,
  keptResourcesOf,
} from "./kept-resources.ts";
import { deleteStageOutputs } from "./stage-outputs.ts";
import { assertStageName, isDevStage } from "./stages.ts";
import { createToolkit, destroyStack } from "./toolkit.ts";

export async function runDestroy(args: DestroyArgs, ctx: CliContext): Promise<void> {
  const out = new Output(ctx, { json: args.json });
  assertStageName(args.stage);
  const project = await openProject(ctx.cwd);
  // The recorded outputs say where the stack really is; without them (another checkout deployed
  // it) the stack is found by the name deploy gives it.
  const recorded = findStageOutputs(project, args.stage);
  const stackName = recorded?.stackName ?? `${project.config.name}-${args.stage}`;
  const aws = resolveAwsEnvironment(ctx.env, { configRegion: recorded?.region ?? project.config.aws.region });
  // toolkit-lib takes its endpoint from the environment only, so a stage deployed to an emulator
  // is destroyed only with that endpoint set, never by name in whatever account the keys reach.
  if (recorded && (recorded.endpoint ?? undefined) !== aws.endpoint) {
    throw new EndpointMismatchError(args.stage, recorded.endpoint, aws.endpoint);
  }
  const account = await callerAccount(aws);
  const where = `aws://${account}/${aws.region}${aws.endpoint ? ` via ${aws.endpoint}` : ""}`;
  out.target(`stage ${args.stage} (${stackName}) in ${where}`);

  const devStage = isDevStage(args.stage);
  const keptByName = keptResourcesOf(stackName, { account, region: aws.region });
  // Named before the question, so the operator confirms exactly what is deleted with its data.
  const toDelete = args.deleteData ? await findKeptResources(aws, keptByName) : [];
  const dataLoss = devStage
    ? " with its tables, queues and logs"
    : toDelete.length > 0
      ? ` and deleting the data it keeps (${describeKept(toDelete)})`
      : "";
  const what = `destroying ${stackName}${dataLoss}`;
  if (!args.yes) {
    if (!ctx.prompts.interactive) throw new ConfirmationRequiredError(what);
    const ok = await ctx.prompts.confirm(
      `Destroy stack ${stackName} in ${where}${devStage || toDelete.length > 0 ? ", deleting its data" : ""}?`,
      false,
    );
    if (!ok) throw new DeclinedError(what);
  }

  if (devStage) {
    // CloudFormation deletes a bucket only once it is empty: a dev stage's large states go first.
    const bucket = recorded?.stateBucket ?? stateBucketName(stackName, account, aws.region);
    await emptyStateBucket(aws, bucket).catch((error: unknown) => {
      throw new DestroyFailedError(stackName, `emptying ${bucket}: ${firstLineOf(error)}`, error);
    });
  }
  const session = createToolkit(aws);
  const spinner = out.spinner(`destroying ${stackName}`);
  session.host.spinner = spinner;
  const started = performance.now();
  let existed: boolean;
  try {
    ({ existed } = await destroyStack(session, aws, stackName, account));
  } catch (error) {
    spinner.stop();
    if (error instanceof TypeError || error instanceof ReferenceError) throw error;
    throw new DestroyFailedError(stackName, session.host.reason(error), error);
  } finally {
    session.host.spinner = undefined;
  }
  const destroyMs = Math.round(performance.now() - started);
  spinner.stop(existed ? `destroyed ${stackName} in ${(destroyMs / 1000).toFixed(1)} s` : undefined);
  deleteStageOutputs(project, args.stage);

  // What the stack kept (or what a dev stage's stack failed to delete), found by name.
  const remaining = devStage && !args.deleteData ? [] : await findKeptResources(aws, keptByName);
  const deleted = args.deleteData ? remaining : [];
  if (deleted.length > 0) {
    const deleting = out.spinner(`deleting ${describeKept(deleted)}`);
    try {
      await deleteKeptResources(aws, deleted);
    } catch (error) {
      deleting.stop();
      throw new DestroyFailedError(stackName, `deleting the kept resources: ${firstLineOf(error)}`, error);
    }
    deleting.stop(`deleted ${describeKept(deleted)} and their data`);
  }
  const kept = args.deleteData ? [] : remaining;
  if (!existed && deleted.length === 0)
    out.warn(`${stackName} did not exist in ${where}; nothing to destroy`);
  if (kept.length > 0) {
    out.warn(
      `${args.stage} is not a dev stage, so these stay with their data: ${describeKept(kept)}. durable deploy --stage ${args.stage} adopts them into a new stack (the stage comes back with its data); durable destroy --stage ${args.stage} --delete-data deletes them`,
    );
  }
  out.result(
    {
      stage: args.stage,
      stackName,
      region: aws.region,
      account,
      existed,
      dataRetained: kept.length > 0,
      kept: kept.map(({ kind, name }) => ({ kind, name })),
      deleted: deleted.map(({ kind, name }) => ({ kind, name })),
      destroyMs,
    },
    existed || deleted.length > 0 ? `destroyed ${stackName}` : `nothing to destroy for ${args.stage}`,
  );
}
