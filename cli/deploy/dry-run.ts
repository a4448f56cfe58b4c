import type { CliContext } from "../context.ts";
import { Output } from "../output.ts";
import { openProject } from "../project.ts";
import type { DeployArgs } from "./args.ts";
import { type BuildSummary, buildProject, formatSize } from "./build-step.ts";
import { assertStageName } from "./stages.ts";
import { type StageSynth, synthStage } from "./synth.ts";

/** Build and synth only: no credentials, no network, and the resources the stage would have. */
export async function runDryRun(args: DeployArgs, ctx: CliContext): Promise<void> {
  const out = new Output(ctx, { json: args.json });
  assertStageName(args.stage);
  const project = await openProject(ctx.cwd);
  out.target(`dry run of stage ${args.stage}: nothing is deployed and no AWS credentials are needed`);
  const build = await buildProject(project, out);
  const synth = synthStage(project, { stage: args.stage });
  out.info(synthLine(synth));
  const width = Math.max(...synth.resources.map((r) => r.type.length));
  out.result(
    {
      dryRun: true,
      stage: args.stage,
      stackName: synth.stackName,
      devStage: synth.devStage,
      assembly: synth.outdir,
      resources: synth.resources,
      bundle: bundleView(build),
      timings: { buildMs: Math.round(build.buildMs), synthMs: Math.round(synth.synthMs) },
    },
    synth.resources.map((r) => `${r.type.padEnd(width)}  ${r.logicalId}`).join("\n"),
  );
}

export function synthLine(synth: StageSynth): string {
  const policy = synth.devStage
    ? "dev stage: data is destroyed with the stack"
    : "data is retained when the stack is destroyed";
  return `synthesized ${synth.stackName}: ${synth.resources.length} resources in ${Math.round(synth.synthMs)} ms (${policy})`;
}

export function bundleView(build: BuildSummary) {
  return {
    outfile: build.outfile,
    bytes: build.bytes,
    gzipBytes: build.gzipBytes,
    size: formatSize(build.bytes),
  };
}
