import type { Command } from "commander";
import { assertActorId } from "../../runtime/core/limits.ts";
import type { ActorRecord } from "../../runtime/ports/actor-store.ts";
import { type CommandModule, examples } from "../command.ts";
import type { CliContext } from "../context.ts";
import { CliError } from "../errors.ts";
import { Output } from "../output.ts";
import { type ActorTarget, openTarget } from "../targets.ts";

interface StateOptions {
  stage: string | undefined;
  json: boolean;
}

export function recordView(record: ActorRecord) {
  return {
    actorId: record.actorId,
    actorType: record.actorType,
    version: record.version,
    state: record.state,
    timers: record.timers,
    parked: record.parked,
    /** Queued messages waiting behind a park, in order. */
    waiting: record.waiting?.count ?? 0,
    updatedAt: new Date(record.updatedAt).toISOString(),
  };
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
        out.line(
          event,
          `${out.c.cyan(`v${event.version}`)} ${out.c.dim(new Date(event.at).toISOString())} ${JSON.stringify(event.state)}`,
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
    const failed = result.parkedOn
      ? ` (message ${result.parkedOn.messageId} failed: ${result.parkedOn.error.message}; it went to the dead-letter queue: durable dlq show ${result.parkedOn.messageId})`
      : "";
    const again = result.parkedAgain
      ? `; parked again: message ${result.parkedAgain.messageId} failed: ${result.parkedAgain.error.message}`
      : result.stillWaiting > 0
        ? `; ${result.stillWaiting} still waiting (they run on the actor's next turn or the sweep)`
        : "";
    out.result(
      { ...result, unparked: true, failedMessage: result.parkedOn },
      `unparked ${actorId}${failed}: ${result.waiting} message(s) were waiting, ${result.drained} ran in order${again}`,
    );
  });
}

export async function runStateList(opts: StateOptions, ctx: CliContext): Promise<void> {
  const out = new Output(ctx, opts);
  await withTarget(ctx, opts, out, async (target) => {
    const actors = await target.list();
    const lines = actors.map(
      (a) => `${a.actorId.padEnd(32)} ${(a.actorType ?? "?").padEnd(18)} v${a.version}`,
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
    const common = (c: Command) =>
      c
        .option("-s, --stage <name>", "a deployed stage instead of the local fabric")
        .option("--json", "print JSON", false);
    common(
      state.command("get").description("print an actor's committed state and version").argument("<actorId>"),
    ).action((actorId: string, opts: StateOptions) => run(() => runStateGet(actorId, opts, ctx)));
    common(
      state
        .command("tail")
        .description("follow an actor's new versions as they commit")
        .argument("<actorId>")
        .option("-n, --count <n>", "stop after n new versions"),
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
    ).action((actorId: string, opts: StateOptions) => run(() => runStateUnpark(actorId, opts, ctx)));
    common(state.command("list").description("list actors with their type and version")).action(
      (opts: StateOptions) => run(() => runStateList(opts, ctx)),
    );
  },
};
