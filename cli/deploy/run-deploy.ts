import { relative } from "node:path";
import type { CliContext } from "../context.ts";
import { Output } from "../output.ts";
import { openProject } from "../project.ts";
import type { DeployArgs } from "./args.ts";
import { callerAccount, resolveAwsEnvironment } from "./aws-environment.ts";
import { bootstrap, confirmBootstrap } from "./bootstrap.ts";
import { buildProject } from "./build-step.ts";
import { bundleView, synthLine } from "./dry-run.ts";
import { DeployFailedError } from "./errors.ts";
import { prepareKeptStage } from "./kept-stage.ts";
import { toStageOutputs, writeStageOutputs } from "./stage-outputs.ts";
import { assertStageName } from "./stages.ts";
import { synthStage } from "./synth.ts";
import { createToolkit, deployAssembly } from "./toolkit.ts";

export async function runDeploy(args: DeployArgs, ctx: CliContext): Promise<void> {
  const out = new Output(ctx, { json: args.json });
  assertStageName(args.stage);
  const project = await openProject(ctx.cwd);

  // Before any work: a machine without AWS access learns it in one line, not after a build.
  const aws = resolveAwsEnvironment(ctx.env, { configRegion: project.config.aws.region });
  const account = await callerAccount(aws);
  out.target(
    `stage ${args.stage} in aws://${account}/${aws.region}${aws.endpoint ? ` via ${aws.endpoint}` : ""}`,
  );

  const started = performance.now();
  const build = await buildProject(project, out);
  const synth = synthStage(project, { stage: args.stage, account, region: aws.region });
  out.info(synthLine(synth));
  const needsBootstrap = await confirmBootstrap({ ctx, out, aws, account, yes: args.yes });
  // Checked before any change: resources a destroyed kept stage left are adopted or nothing happens.
  const adoption = await prepareKeptStage({ aws, account, stage: args.stage, synth, out });
  const session = createToolkit(aws);
  if (needsBootstrap) await bootstrap(session, out, aws, account);
  await adoption?.();

  const spinner = out.spinner(`deploying ${synth.stackName}`);
  session.host.spinner = spinner;
  const deployStarted = performance.now();
  let stackOutputs: Record<string, string>;
  try {
    stackOutputs = await deployAssembly(session, aws, synth.outdir, synth.stackName);
  } catch (error) {
    spinner.stop();
    if (error instanceof TypeError || error instanceof ReferenceError) throw error;
    throw new DeployFailedError(synth.stackName, session.host.reason(error), error);
  } finally {
    session.host.spinner = undefined;
  }
  const deployMs = performance.now() - deployStarted;
  spinner.stop(`deployed ${synth.stackName} in ${seconds(deployMs)}`);

  const outputs = toStageOutputs({
    stage: args.stage,
    stackName: synth.stackName,
    region: aws.region,
    endpoint: aws.endpoint,
    outputs: stackOutputs,
    now: new Date(),
  });
  const file = writeStageOutputs(project, outputs);
  const timings = {
    buildMs: Math.round(build.buildMs),
    synthMs: Math.round(synth.synthMs),
    deployMs: Math.round(deployMs),
    totalMs: Math.round(performance.now() - started),
  };
  out.result(
    { ...outputs, account, devStage: synth.devStage, stageFile: file, bundle: bundleView(build), timings },
    [
      `stage      ${outputs.stage}${synth.devStage ? " (dev: destroy removes its data)" : " (destroy keeps its tables and queues)"}`,
      `stack      ${outputs.stackName} (${outputs.region})`,
      `function   ${outputs.functionName}`,
      `queue      ${outputs.queueUrl}`,
      `tables     ${outputs.stateTable}, ${outputs.locksTable}, ${outputs.workflowsTable}`,
      `outputs    ${relative(ctx.cwd, file)}`,
    ].join("\n"),
  );
  out.success(`deployed; try: durable invoke <actorId> --stage ${args.stage}`);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
