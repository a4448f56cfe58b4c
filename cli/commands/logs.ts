import type { Command } from "commander";
import { assertActorId } from "../../runtime/core/limits.ts";
import { type CommandModule, examples } from "../command.ts";
import type { CliContext } from "../context.ts";
import { Output } from "../output.ts";
import { openProject } from "../project.ts";
import { readStageOutputs } from "../stage-target.ts";
import { formatTurn } from "../turn-format.ts";
import { followTurnLog } from "../turn-log.ts";

export interface LogsArgs {
  stage: string | undefined;
  actor: string | undefined;
  json?: boolean | undefined;
}

/** Follows turn logs until Ctrl-C: the local fabric's turn log, or a stage's CloudWatch Logs. */
export async function runLogs(args: LogsArgs, ctx: CliContext): Promise<void> {
  const out = new Output(ctx, { json: args.json });
  if (args.actor !== undefined) assertActorId(args.actor);
  const project = await openProject(ctx.cwd);
  const print = (entry: Parameters<typeof formatTurn>[0]) => out.line(entry, formatTurn(entry, out.c));
  if (args.stage === undefined) {
    out.target(
      `local fabric turn log (.durable/turns.log)${args.actor ? `, actor ${args.actor}` : ""}; Ctrl-C to stop`,
    );
    await followTurnLog(
      project.root,
      (e) => (!args.actor || e.actorId === args.actor) && print(e),
      ctx.signal,
    );
    return;
  }
  const stage = readStageOutputs(project, args.stage);
  // Loaded only for stages: the CloudWatch Logs client is large, and `durable dev` never needs it.
  const { followStageTurns } = await import("../stage-logs.ts");
  out.target(`stage ${stage.stage} (${stage.region}): /aws/lambda/${stage.functionName}; Ctrl-C to stop`);
  await followStageTurns(
    {
      region: stage.region,
      functionName: stage.functionName,
      endpoint: stage.endpoint ?? ctx.env.AWS_ENDPOINT_URL,
    },
    args.actor,
    print,
    ctx.signal,
  );
}

export const logsCommand: CommandModule = {
  register(program: Command, run, ctx) {
    program
      .command("logs")
      .description("follow turn logs: the local fabric's, or a deployed stage's CloudWatch Logs")
      .option("-s, --stage <name>", "a deployed stage instead of the local fabric")
      .option("-a, --actor <actorId>", "only this actor's turns")
      .option("--json", "print JSON lines")
      .addHelpText(
        "after",
        examples("durable logs", "durable logs --actor counter-1", "durable logs --stage prod --json"),
      )
      .action((opts: LogsArgs) => run(() => runLogs(opts, ctx)));
  },
};
