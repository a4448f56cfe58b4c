import type { Command } from "commander";
import { assertActorId } from "../../runtime/core/limits.ts";
import { type CommandModule, examples } from "../command.ts";
import type { CliContext } from "../context.ts";
import { ConfirmationRequiredError, DeclinedError } from "../deploy/errors.ts";
import { countLine, letterDetails, letterTable, redriveLines } from "../dlq/format.ts";
import { type Letter, letterView } from "../dlq/letters.ts";
import { type RedriveReport, redriveInOrder } from "../dlq/redrive.ts";
import { type DlqTarget, type DlqTargetOptions, openDlqTarget } from "../dlq/target.ts";
import { CliError, UsageError } from "../errors.ts";
import { Output } from "../output.ts";

interface DlqOptions {
  stage?: string | undefined;
  json: boolean;
  actor?: string | undefined;
}

interface RedriveOptions extends DlqOptions {
  all: boolean;
  unpark: boolean;
}

interface PurgeOptions extends DlqOptions {
  yes: boolean;
}

/** How long a stage's letters stay hidden from other readers: while listing, and while a redrive or purge acts on them. */
const LOOK_SECONDS = 30;
const WORK_SECONDS = 300;

async function withDlq(
  ctx: CliContext,
  opts: DlqOptions,
  out: Output,
  targetOptions: DlqTargetOptions,
  use: (target: DlqTarget) => Promise<void>,
): Promise<void> {
  if (opts.actor !== undefined) assertActorId(opts.actor);
  const target = await openDlqTarget(ctx, opts.stage, targetOptions);
  try {
    out.target(target.description);
    await use(target);
  } finally {
    await target.close();
  }
}

const ofActor = (letters: readonly Letter[], actorId: string | undefined) =>
  actorId === undefined ? [...letters] : letters.filter((l) => l.actorId === actorId);

export async function runDlqList(opts: DlqOptions, ctx: CliContext): Promise<void> {
  const out = new Output(ctx, opts);
  await withDlq(ctx, opts, out, { fabric: false }, async (target) => {
    const letters = ofActor(await target.letters(LOOK_SECONDS), opts.actor);
    out.result(
      { target: target.description, letters: letters.map(letterView) },
      letters.length ? letterTable(letters, out) : `no dead letters${opts.actor ? ` of ${opts.actor}` : ""}`,
    );
    if (letters.length) out.info(out.c.dim(countLine(letters)));
  });
}

export async function runDlqShow(messageId: string, opts: DlqOptions, ctx: CliContext): Promise<void> {
  const out = new Output(ctx, opts);
  await withDlq(ctx, opts, out, { fabric: false }, async (target) => {
    const letter = (await target.letters(LOOK_SECONDS)).find((l) => l.id === messageId);
    if (!letter) throw notFound([messageId], target);
    out.result(
      { target: target.description, ...letterView(letter), body: letter.body },
      letterDetails(letter, out),
    );
  });
}

export async function runDlqRedrive(
  messageIds: string[],
  opts: RedriveOptions,
  ctx: CliContext,
): Promise<void> {
  const out = new Output(ctx, opts);
  const ways = [messageIds.length > 0, opts.actor !== undefined, opts.all].filter(Boolean).length;
  if (ways !== 1) {
    throw new UsageError(
      ways === 0
        ? "say which dead letters to redrive"
        : "name message ids, --actor <id> or --all, only one of them",
      "pass message ids, --actor <id> or --all; durable dlq list shows the letters",
    );
  }
  await withDlq(ctx, opts, out, { fabric: true }, async (target) => {
    const all = await target.letters(WORK_SECONDS);
    const wanted = new Set(messageIds);
    const missing = [...wanted].filter((id) => !all.some((l) => l.id === id));
    if (missing.length > 0) throw notFound(missing, target);
    const selected = opts.all
      ? all
      : messageIds.length
        ? all.filter((l) => wanted.has(l.id))
        : ofActor(all, opts.actor);
    if (selected.length === 0) {
      out.result(
        { target: target.description, outcomes: [], skipped: [] },
        `no dead letters${opts.actor ? ` of ${opts.actor}` : ""} to redrive`,
      );
      return;
    }
    const spinner = out.spinner(`redriving ${selected.length} dead letter(s)`);
    let report: RedriveReport;
    try {
      report = await redriveInOrder(target, selected, all, { unpark: opts.unpark });
    } finally {
      spinner.stop();
    }
    out.result(
      { target: target.description, outcomes: report.outcomes, skipped: report.skipped },
      redriveLines(report, out).join("\n"),
    );
    const failed = report.outcomes.filter((o) => o.error).flatMap((o) => o.messageIds);
    // A letter named by its id that cannot be redriven is a failure; --all and --actor only report it.
    const refused = messageIds.length ? report.skipped.map((s) => s.messageId) : [];
    if (failed.length + refused.length > 0) {
      throw new CliError(
        "REDRIVE_INCOMPLETE",
        `${failed.length + refused.length} dead letter(s) were not redriven: ${[...failed, ...refused].join(", ")}`,
        { hint: "the lines above say why; they stay in the DLQ" },
      );
    }
  });
}

export async function runDlqPurge(opts: PurgeOptions, ctx: CliContext): Promise<void> {
  const out = new Output(ctx, opts);
  const what = `purging dead letters${opts.actor ? ` of ${opts.actor}` : ""}`;
  // Refused before anything is read, so a script without --yes changes nothing and holds nothing.
  if (!opts.yes && !ctx.prompts.interactive) throw new ConfirmationRequiredError(what);
  await withDlq(ctx, opts, out, { fabric: false }, async (target) => {
    const letters = ofActor(await target.letters(WORK_SECONDS), opts.actor);
    if (letters.length === 0) {
      out.result({ target: target.description, purged: 0, messageIds: [], kept: [] }, "nothing to purge");
      return;
    }
    if (!opts.yes) {
      const ok = await ctx.prompts.confirm(
        `Delete ${countLine(letters)} from ${target.description} for good?`,
        false,
      );
      if (!ok) throw new DeclinedError(what);
    }
    const kept = new Set(await target.remove(letters));
    const purged = letters.filter((l) => !kept.has(l));
    out.result(
      {
        target: target.description,
        purged: purged.length,
        messageIds: purged.map((l) => l.id),
        kept: [...kept].map((l) => l.id),
      },
      `purged ${purged.length} dead letter(s)${kept.size ? `; ${kept.size} could not be removed (they were held too long), run purge again` : ""}`,
    );
  });
}

function notFound(ids: readonly string[], target: DlqTarget): CliError {
  return new CliError("DEAD_LETTER_NOT_FOUND", `no dead letter ${ids.join(", ")} in ${target.description}`, {
    hint: "durable dlq list shows the dead letters and their ids",
  });
}

export const dlqCommand: CommandModule = {
  register(program: Command, run, ctx) {
    const dlq = program
      .command("dlq")
      .description("dead letters: list, show, redrive or purge them (the local fabric or a stage)")
      .addHelpText(
        "after",
        examples(
          "durable dlq list",
          "durable dlq show 5f0c1d2e-…",
          "durable dlq redrive --actor order-7 --unpark",
          "durable dlq purge --stage prod --yes",
        ),
      );
    const common = (c: Command) =>
      c
        .option("-s, --stage <name>", "a deployed stage instead of the local fabric")
        .option("--json", "print JSON", false);
    common(
      dlq
        .command("list")
        .description("list dead letters: id, DLQ, actor, handler, first failure, receives, reason")
        .option("-a, --actor <id>", "only this actor's letters")
        .addHelpText(
          "after",
          examples(
            "durable dlq list",
            "durable dlq list --actor order-7",
            "durable dlq list --stage prod --json",
          ),
        ),
    ).action((opts: DlqOptions) => run(() => runDlqList(opts, ctx)));
    common(
      dlq
        .command("show")
        .description("print a dead letter's body and the error that sent it there")
        .argument("<messageId>")
        .addHelpText(
          "after",
          examples("durable dlq show 5f0c1d2e-…", "durable dlq show 5f0c1d2e-… --stage prod --json"),
        ),
    ).action((messageId: string, opts: DlqOptions) => run(() => runDlqShow(messageId, opts, ctx)));
    common(
      dlq
        .command("redrive")
        .description(
          "put dead letters back: each runs before its actor's later messages, once; signals are routed again",
        )
        .argument("[messageIds...]")
        .option("-a, --actor <id>", "every letter of this actor")
        .option("--all", "every letter", false)
        .option("--unpark", "unpark an actor whose failed message is redriven, so it runs now", false)
        .addHelpText(
          "after",
          `${examples(
            "durable dlq redrive 5f0c1d2e-…",
            "durable dlq redrive --actor order-7 --unpark",
            "durable dlq redrive --all --stage prod",
          )}
An actor's letters go back in the order they were dead-lettered, ahead of its waiting messages.
A parked actor stays parked unless --unpark is given and its failed message is among them.
A letter leaves the DLQ only once its redrive committed; redriving it again applies nothing twice.
`,
        ),
    ).action((messageIds: string[], opts: RedriveOptions) => run(() => runDlqRedrive(messageIds, opts, ctx)));
    common(
      dlq
        .command("purge")
        .description("delete dead letters for good (asks first; --yes without a terminal)")
        .option("-a, --actor <id>", "only this actor's letters")
        .option("-y, --yes", "do not ask for confirmation (required without a terminal)", false)
        .addHelpText(
          "after",
          examples(
            "durable dlq purge",
            "durable dlq purge --actor order-7 --yes",
            "durable dlq purge --stage prod --yes",
          ),
        ),
    ).action((opts: PurgeOptions) => run(() => runDlqPurge(opts, ctx)));
  },
};
