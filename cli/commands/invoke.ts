import type { Command } from "commander";
import { parseJson } from "../../runtime/core/json.ts";
import { assertActorId } from "../../runtime/core/limits.ts";
import { type CommandModule, examples } from "../command.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { Output } from "../output.ts";
import { openTarget } from "../targets.ts";

export interface InvokeArgs {
  actorId: string;
  handler: string | undefined;
  data: string | undefined;
  sync: boolean;
  async: boolean;
  stage: string | undefined;
  actor: string | undefined;
  id: string | undefined;
  json: boolean;
}

export async function runInvoke(args: InvokeArgs, ctx: CliContext): Promise<void> {
  const out = new Output(ctx, { json: args.json });
  if (args.sync && args.async)
    throw new UsageError("--sync and --async cannot be combined", "pick one (sync is the default)");
  // Validate before opening anything: bad input changes nothing and names no target.
  assertActorId(args.actorId);
  const input = args.data === undefined ? undefined : parseJson(args.data, "--data");
  const mode = args.async ? "async" : "sync";
  const target = await openTarget(ctx, args.stage);
  try {
    out.target(target.description);
    const response = await target.invoke({
      actorId: args.actorId,
      actorType: args.actor,
      handler: args.handler,
      input,
      mode,
      messageId: args.id,
    });
    const data = { target: target.kind, ...response };
    if (response.mode === "sync") {
      const tag = response.duplicate ? " (already applied; stored result)" : "";
      out.result(data, JSON.stringify(response.result, null, 2));
      out.success(`${response.actorId} ${response.handler} → version ${response.version}${tag}`);
    } else {
      const where = target.kind === "local" ? "durable dev applies it" : "the stage's queue applies it";
      out.result(data, `queued ${response.messageId}`);
      out.success(`${response.actorId} ${response.handler} queued; ${where}`);
    }
  } finally {
    target.close();
  }
}

export const invokeCommand: CommandModule = {
  register(program: Command, run, ctx) {
    program
      .command("invoke")
      .description("call an actor's handler (sync by default) on the local fabric or a stage")
      .argument("<actorId>", "the actor id, e.g. counter-1 (letters, digits, . _ : -; up to 128)")
      .argument("[handler]", "the handler (default: the actor's default handler)")
      .option("-d, --data <json>", "the handler's input as JSON")
      .option("--sync", "wait for the result (default)", false)
      .option("--async", "queue the message and return its id", false)
      .option("-s, --stage <name>", "a deployed stage instead of the local fabric")
      .option("--actor <type>", "the actor type when the id does not start with it")
      .option("--id <messageId>", "idempotency key: a retry with the same id is applied once")
      .option("--json", "print the result as JSON", false)
      .addHelpText(
        "after",
        examples(
          "durable invoke counter-1 --sync",
          `durable invoke counter-1 increment --data '{"by":2}'`,
          "durable invoke counter-1 --async",
          "durable invoke counter-1 get --stage prod --json",
        ),
      )
      .action((actorId: string, handler: string | undefined, opts: Omit<InvokeArgs, "actorId" | "handler">) =>
        run(() => runInvoke({ actorId, handler, ...opts }, ctx)),
      );
  },
};
