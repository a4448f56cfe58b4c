import type { Command } from "commander";
import { assertActorId } from "../../runtime/core/limits.ts";
import { type CommandModule, examples } from "../command.ts";
import type { CliContext } from "../context.ts";
import { CliError } from "../errors.ts";
import { Output } from "../output.ts";
import { type ActorTarget, openTarget } from "../targets.ts";
import { recordView, withIsoTime } from "../views.ts";

interface StateOptions {
  stage: string | undefined;
  json?: boolean | undefined;
}

/** Opens the target (local fabric or stage), says which one, runs `use`, and always closes it. */
async function withTarget(
  ctx: CliContext,
  opts: StateOptions,
  out: Output,
  use: (target: ActorTarget) => Promise<void>,
): Promise<void> {
  const target = await openTarget(ctx, opts.stage);
  try {
    out.target(target.description);
    await use(target);
  } finally {
    target.close();
  }
}

export async function runStateGet(actorId: string, opts: StateOptions, ctx: CliContext): Promise<void> {
  const out = new Output(ctx, opts);
  assertActorId(actorId);
  await withTarget(ctx, opts, out, async (target) => {
    const record = await target.read(actorId);
    if (!record) {
      throw new CliError("ACTOR_NOT_FOUND", `${actorId} has no state yet`, {
        hint: `call it first, e.g. durable invoke ${actorId} --sync`,
      });
    }
    const view = recordView(record);
    out.result(view, JSON.stringify(record.state, null, 2));
    const timers = Object.keys(record.timers);
    out.info(
      out.c.dim(
        `${record.actorId} (${record.actorType}) version ${record.version}, updated ${view.updatedAt}` +
          (timers.length ? `, timers: ${timers.join(", ")}` : "") +
          (record.parked ? `, PARKED after message ${record.parked.messageId}` : "") +
          (record.waiting?.count ? `, ${record.waiting.count} message(s) waiting` : ""),
      ),
    );
  });
}

export async function runStateTail(
  actorId: string,
  opts: StateOptions & { count?: string },
  ctx: CliContext,
): Promise<void> {
  const out = new Output(ctx, opts);
  assertActorId(actorId);
  const limit = opts.count === undefined ? Number.POSITIVE_INFINITY : Number(opts.count);
  if (!(limit > 0)) throw new CliError("USAGE", `--count ${opts.count} is not a positive number`);
  const target = await openTarget(ctx, opts.stage);
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  try {
    out.target(`${target.description}; following ${actorId} (Ctrl-C to stop)`);
    let seen = 0;
    await target.follow(
      actorId,
      (event) => {
        const view = withIsoTime(event, "at");
        out.line(
          view,
          `${out.c.cyan(`v${view.version}`)} ${out.c.dim(view.at)} ${JSON.stringify(view.state)}`,
        );
        if (++seen >= limit) stop.abort();
      },
      stop.signal,
    );
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    target.close();
  }
}

export async function runStateUnpark(actorId: string, opts: StateOptions, ctx: CliContext): Promise<void> {
  const out = new Output(ctx, opts);
  assertActorId(actorId);
  await withTarget(ctx, opts, out, async (target) => {
    const record = await target.read(actorId);
    if (!record || (!record.parked && !(record.waiting?.count ?? 0))) {
      throw new CliError("NOT_PARKED", `${actorId} is not parked`, {
        hint: `durable state get ${actorId} shows its state`,
      });
    }
    const result = await target.unpark(actorId, record.actorType ?? undefined);
    const on = result.parkedOn;
    const failed = !on
      ? ""
      : on.deadLettered === false
        ? ` (${on.handler === "$migrate" ? "durable migrate" : `call ${on.messageId}`} failed: ${on.error.message})`
        : ` (message ${on.messageId} failed: ${on.error.message}; it went to the dead-letter queue: durable dlq show ${on.messageId})`;
    const again = result.parkedAgain
      ? `; parked again: message ${result.parkedAgain.messageId} failed: ${result.parkedAgain.error.message}`
      : result.stillWaiting > 0
        ? `; ${result.stillWaiting} still waiting (they run on the actor's next turn or the sweep)`
        : "";
    const iso = (parked: typeof result.parkedOn) =>
      parked && { ...parked, at: new Date(parked.at).toISOString() };
    out.result(
      {
        ...result,
        parkedOn: iso(result.parkedOn),
        parkedAgain: iso(result.parkedAgain),
        unparked: true,
        failedMessage: iso(result.parkedOn),
      },
      `unparked ${actorId}${failed}: ${result.waiting} message(s) were waiting, ${result.drained} ran in order${again}`,
    );
  });
}

export async function runStateList(opts: StateOptions, ctx: CliContext): Promise<void> {
  const out = new Output(ctx, opts);
  await withTarget(ctx, opts, out, async (target) => {
    const actors = (await target.list()).map((a) => withIsoTime(a, "updatedAt"));
    const lines = actors.map(
      (a) =>
        `${a.actorId.padEnd(32)} ${(a.actorType ?? "?").padEnd(18)} v${String(a.version).padEnd(6)} ${a.updatedAt}`,
    );
    out.result(actors, lines.length ? lines.join("\n") : "no actors yet");
  });
}

export const stateCommand: CommandModule = {
  register(program: Command, run, ctx) {
    const state = program
      .command("state")
      .description("read actor state: get, tail or list; unpark a parked actor")
      .addHelpText(
        "after",
        examples(
          "durable state get counter-1",
          "durable state tail counter-1",
          "durable state list --json",
          "durable state unpark order-7",
        ),
      );
    const common = (c: Command, ...lines: string[]) =>
      c
        .option("-s, --stage <name>", "a deployed stage instead of the local fabric")
        .option("--json", "print JSON")
        .addHelpText("after", examples(...lines));
    common(
      state.command("get").description("print an actor's committed state and version").argument("<actorId>"),
      "durable state get counter-1",
      "durable state get counter-1 --json",
      "durable state get counter-1 --stage prod",
    ).action((actorId: string, opts: StateOptions) => run(() => runStateGet(actorId, opts, ctx)));
    common(
      state
        .command("tail")
        .description("follow an actor's new versions as they commit")
        .argument("<actorId>")
        .option("-n, --count <n>", "stop after n new versions"),
      "durable state tail counter-1",
      "durable state tail counter-1 --count 1 --json",
      "durable state tail counter-1 --stage prod",
    ).action((actorId: string, opts: StateOptions & { count?: string }) =>
      run(() => runStateTail(actorId, opts, ctx)),
    );
    common(
      state
        .command("unpark")
        .description(
          "let a parked actor's queued messages run again (its failed message stays dead-lettered)",
        )
        .argument("<actorId>"),
      "durable state get order-7        # shows parked: the failed message and its error",
      "durable state unpark order-7",
      "durable state unpark order-7 --stage prod --json",
    ).action((actorId: string, opts: StateOptions) => run(() => runStateUnpark(actorId, opts, ctx)));
    common(
      state.command("list").description("list actors with their type, version and last update"),
      "durable state list",
      "durable state list --json",
    ).action((opts: StateOptions) => run(() => runStateList(opts, ctx)));
  },
};
