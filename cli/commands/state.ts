import type { Command } from "commander";
import { assertActorId } from "../../runtime/core/limits.ts";
import { type CommandModule, examples } from "../command.ts";
import type { CliContext } from "../context.ts";
import { CliError } from "../errors.ts";
import { DEFAULT_FLEET_LIMIT, fleetEntryView, fleetQuery } from "../fleet-query.ts";
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

interface ListOptions extends StateOptions {
  type?: string | undefined;
  parked?: boolean | undefined;
  prefix?: string | undefined;
  limit?: string | undefined;
  cursor?: string | undefined;
}

export async function runStateList(opts: ListOptions, ctx: CliContext): Promise<void> {
  const out = new Output(ctx, opts);
  const query = fleetQuery(opts);
  await withTarget(ctx, opts, out, async (target) => {
    const page = await target.list(query);
    const actors = page.actors.map(fleetEntryView);
    out.result({ actors, next: page.next }, actors.length ? fleetTable(actors, out) : "no actors found");
    if (page.next) out.info(out.c.dim(`more: ${nextPageCommand(opts, page.next)}`));
  });
}

function fleetTable(actors: readonly ReturnType<typeof fleetEntryView>[], out: Output): string {
  const header = ["ACTOR", "TYPE", "VERSION", "LAST ACTIVE", "PARKED", "NEXT TIMER", "WAITING"];
  const rows = actors.map((a) => [
    a.actorId,
    a.actorType ?? "-",
    String(a.version),
    a.updatedAt,
    a.parked ? "PARKED" : "-",
    a.nextTimerAt ?? "-",
    String(a.waiting),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [out.c.dim(line(header)), ...rows.map(line)].join("\n");
}

/** The command that prints the next page: the same filters and the cursor. */
function nextPageCommand(opts: ListOptions, next: string): string {
  const words = ["durable state list"];
  if (opts.stage) words.push(`--stage ${opts.stage}`);
  if (opts.type) words.push(`--type ${opts.type}`);
  if (opts.parked) words.push("--parked");
  if (opts.prefix) words.push(`--prefix ${opts.prefix}`);
  if (opts.limit) words.push(`--limit ${opts.limit}`);
  words.push(`--cursor ${next}`);
  return words.join(" ");
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
      state
        .command("list")
        .description(
          "list actors from the fleet index: type, version, last active, parked, next timer; parked first, then by type, newest first",
        )
        .option("-t, --type <type>", "only actors of this type")
        .option("--parked", "only parked actors")
        .option("--prefix <idPrefix>", "only ids that start with this")
        .option("-l, --limit <n>", `actors per page, 1 to 1000 (default ${DEFAULT_FLEET_LIMIT})`)
        .option("--cursor <cursor>", "the page after the one that printed this cursor"),
      "durable state list",
      "durable state list --type counter --parked",
      "durable state list --prefix order- --limit 20 --json",
      "durable state list --stage prod --type counter --parked --json",
    ).action((opts: ListOptions) => run(() => runStateList(opts, ctx)));
  },
};
