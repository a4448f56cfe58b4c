import type { Command } from "commander";
import { type CommandModule, examples } from "../command.ts";
import type { CliContext } from "../context.ts";
import type { DestroyArgs } from "../deploy/args.ts";
import { DEFAULT_STAGE } from "../deploy/stages.ts";

/** Deletes a stage's stack; deploy/run-destroy.ts is imported on use for the reason runDeploy gives. */
export async function runDestroy(args: DestroyArgs, ctx: CliContext): Promise<void> {
  const { runDestroy: run } = await import("../deploy/run-destroy.ts");
  await run(args, ctx);
}

export const destroyCommand: CommandModule = {
  register(program: Command, run, ctx) {
    program
      .command("destroy")
      .description("delete a stage's stack and forget its outputs")
      .option("-s, --stage <name>", "the stage", DEFAULT_STAGE)
      .option(
        "--delete-data",
        "also delete what a kept stage keeps: its tables, queues, schedule group, log group and scheduler role (works after the stack is gone too)",
        false,
      )
      .option("-y, --yes", "do not ask for confirmation (required without a terminal)", false)
      .option("--json", "print the result as JSON", false)
      .addHelpText(
        "after",
        `${examples("durable destroy", "durable destroy --stage pr-42 --yes", "durable destroy --stage prod --delete-data")}
Dev stages (dev, test, pr and their -suffixed forms) lose their tables, queues and logs; other
stages keep them, so destroying prod never deletes its data: a later \`durable deploy --stage prod\`
adopts what was kept (CloudFormation resource import) and the stage comes back with its data.
--delete-data deletes the kept resources and their data for good.
`,
      )
      .action((opts: DestroyArgs) => run(() => runDestroy(opts, ctx)));
  },
};
