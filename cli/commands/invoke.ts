import type { Command } from "commander";
import { assertActorId } from "../../runtime/core/limits.ts";
import { type CommandModule, examples } from "../command.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { readJsonInput } from "../json-input.ts";
import { checkMessageId } from "../message-id.ts";
import { Output } from "../output.ts";
import { openTarget } from "../targets.ts";

export interface InvokeArgs {
  actorId: string;
  handler: string | undefined;
  data: string | undefined;
  sync?: boolean | undefined;
  async?: boolean | undefined;
  stage: string | undefined;
  actor: string | undefined;
  id: string | undefined;
  json?: boolean | undefined;
}

export async function runInvoke(args: InvokeArgs, ctx: CliContext): Promise<void> {
  const out = new Output(ctx, { json: args.json });
  if (args.sync && args.async)
    throw new UsageError("--sync and --async cannot be combined", "pick one (sync is the default)");
  // Validate before opening anything: bad input changes nothing and names no target.
  assertActorId(args.actorId);
  // Always an id, so a retry of this very command by any layer (the AWS SDK retrying a Lambda
  // invoke after a timeout) is recognised by the processed marker and applied once.
  const messageId = args.id === undefined ? crypto.randomUUID() : checkMessageId(args.id, "--id");
  const input = args.data === undefined ? undefined : await readJsonInput(args.data, "--data", ctx);
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
      messageId,
    });
    const data = { target: target.kind, ...response };
    if (response.mode === "sync") {
      const tag = response.duplicate ? " (already applied; stored result)" : "";
      out.result(data, JSON.stringify(response.result, null, 2));
      out.success(
        `${response.actorId} ${response.handler} → version ${response.version}${tag}, message ${response.messageId}`,
      );
    } else {
      const where = target.kind === "local" ? "durable dev applies it" : "the stage's queue applies it";
      out.result(data, `queued ${response.messageId}`);
      out.success(
        `${response.actorId} ${response.handler} queued as message ${response.messageId}; ${where}`,
      );
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
      .option("-d, --data <json>", "the handler's input: JSON, @file.json, or - to read standard input")
      .option("--sync", "wait for the result (the default)")
      .option("--async", "queue the message and return its id")
      .option("-s, --stage <name>", "a deployed stage instead of the local fabric")
      .option("--actor <type>", "the actor type when the id does not start with it")
      .option(
        "--id <messageId>",
        "idempotency key (1-512 printable characters; default: a new UUID, printed): the same id is applied once",
      )
      .option("--json", "print the result as JSON")
      .addHelpText(
        "after",
        examples(
          "durable invoke counter-1 --sync",
          `durable invoke counter-1 increment --data '{"by":2}'`,
          "durable invoke leaderboard-global submit --data @scores.json",
          "cat order.json | durable invoke order-7 place --data -",
          "durable invoke counter-1 --async --id retry-safe-1",
          "durable invoke counter-1 get --stage prod --json",
        ),
      )
      .action((actorId: string, handler: string | undefined, opts: Omit<InvokeArgs, "actorId" | "handler">) =>
        run(() => runInvoke({ actorId, handler, ...opts }, ctx)),
      );
  },
};
