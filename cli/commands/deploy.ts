import type { Command } from "commander";
import { type CommandModule, examples } from "../command.ts";
import type { CliContext } from "../context.ts";
import type { DeployArgs } from "../deploy/args.ts";
import { DEFAULT_STAGE } from "../deploy/stages.ts";

/**
 * Builds, synthesizes and deploys a stage, or with --dry-run lists what it would create. The work
 * is imported on use: the CDK and toolkit-lib take about a second to load, which every other
 * command (invoke, state) would pay at start-up, and a dry run never needs toolkit-lib.
 */
export async function runDeploy(args: DeployArgs, ctx: CliContext): Promise<void> {
  if (args.dryRun) {
    const { runDryRun } = await import("../deploy/dry-run.ts");
    return runDryRun(args, ctx);
  }
  const { runDeploy: run } = await import("../deploy/run-deploy.ts");
  await run(args, ctx);
}

export const deployCommand: CommandModule = {
  register(program: Command, run, ctx) {
    program
      .command("deploy")
      .description("build, synthesize and deploy the project's fabric stack to a stage")
      .option("-s, --stage <name>", "the stage (lowercase letters, digits, -)", DEFAULT_STAGE)
      .option(
        "--dry-run",
        "build and synthesize, list the resources, deploy nothing (no credentials needed)",
        false,
      )
      .option("-y, --yes", "bootstrap the account/region without asking when it is needed", false)
      .option("--json", "print the stage's outputs (or the dry run's resources) as JSON", false)
      .addHelpText(
        "after",
        `${examples("durable deploy --dry-run", "durable deploy", "durable deploy --stage prod --yes --json")}
Stages named dev, test or pr (alone or with a -suffix, e.g. dev-alice, pr-42) are disposable:
\`durable destroy\` deletes their tables, queues and logs. Every other stage keeps them, and
deploying it again adopts what it kept (CloudFormation resource import) or, where that is not
possible, stops before any change and says how to resolve it.
Credentials: AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or SSO, web identity, a
default profile). Region: aws.region in durable.config.ts, else AWS_REGION or AWS_DEFAULT_REGION.
AWS_ENDPOINT_URL points every client at an emulator. The outputs go to .durable/stages/<stage>.json.
`,
      )
      .action((opts: DeployArgs) => run(() => runDeploy(opts, ctx)));
  },
};
