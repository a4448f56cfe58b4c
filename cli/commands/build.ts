import { relative } from "node:path";
import type { Command } from "commander";
import { type CommandModule, examples } from "../command.ts";
import type { CliContext } from "../context.ts";
import { Output } from "../output.ts";
import { openProject } from "../project.ts";

export interface BuildArgs {
  json?: boolean | undefined;
}

export async function runBuild(args: BuildArgs, ctx: CliContext): Promise<void> {
  // Imported on use, like deploy's work: commands that never bundle do not load the bundler.
  const { buildProject, formatSize } = await import("../deploy/build-step.ts");
  const out = new Output(ctx, { json: args.json });
  const project = await openProject(ctx.cwd);
  out.target(`Lambda bundle (node22) in ${relative(ctx.cwd, project.root) || "."}/.durable/build`);
  const build = await buildProject(project, out);
  const file = relative(ctx.cwd, build.outfile);
  out.result(
    {
      outfile: build.outfile,
      bytes: build.bytes,
      gzipBytes: build.gzipBytes,
      buildMs: Math.round(build.buildMs),
    },
    `${file}  ${formatSize(build.bytes)} (${formatSize(build.gzipBytes)} gzipped)`,
  );
}

export const buildCommand: CommandModule = {
  register(program: Command, run, ctx) {
    program
      .command("build")
      .description("bundle the actors and the Lambda handler into .durable/build (what deploy uploads)")
      .option("--json", "print the bundle's path and sizes as JSON")
      .addHelpText("after", examples("durable build", "durable build --json"))
      .action((opts: BuildArgs) => run(() => runBuild(opts, ctx)));
  },
};
