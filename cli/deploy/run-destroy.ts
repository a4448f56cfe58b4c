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
} from "./errors.ts";
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
  const what = `destroying ${stackName}${devStage ? " with its tables, queues and logs" : ""}`;
  if (!args.yes) {
    if (!ctx.prompts.interactive) throw new ConfirmationRequiredError(what);
    const ok = await ctx.prompts.confirm(
      `Destroy stack ${stackName} in ${where}${devStage ? ", deleting its data" : ""}?`,
      false,
    );
    if (!ok) throw new DeclinedError(what);
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
  if (!existed) out.warn(`${stackName} did not exist in ${where}; nothing to destroy`);
  deleteStageOutputs(project, args.stage);
  if (existed && !devStage) {
    out.warn(
      `${args.stage} is not a dev stage: its tables, queues and log group were kept (delete them in the console if no longer needed)`,
    );
  }
  out.result(
    {
      stage: args.stage,
      stackName,
      region: aws.region,
      account,
      existed,
      dataRetained: existed && !devStage,
      destroyMs,
    },
    existed ? `destroyed ${stackName}` : `nothing to destroy for ${args.stage}`,
  );
}
