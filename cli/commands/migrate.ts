import type { Command } from "commander";
import { type CommandModule, examples } from "../command.ts";
import { type MigrateArgs, runMigrate } from "../migrate/run-migrate.ts";

export const migrateCommand: CommandModule = {
  register(program: Command, run, ctx) {
    program
      .command("migrate")
      .description(
        "bring every actor whose stored state is behind its code's schema up to date, each through a fenced turn",
      )
      .option("-s, --stage <name>", "a deployed stage instead of the local fabric (its function migrates)")
      .option("--dry-run", "scan and report what would be migrated, changing nothing", false)
      .option("--rate <n>", "migrate at most n actors per second (default 50)")
      .option("--read-rate <n>", "scan at most n DynamoDB read units per second (default 100)")
      .option("--max-failures <n>", "stop once n migrations have failed (each parks its actor; default 1)")
      .option("--restart", "discard a saved, interrupted migration and scan again", false)
      .option("--json", "JSON lines (the default without a terminal)", false)
      .addHelpText(
        "after",
        `
The scan reads every record of the State table (its cost is printed before it starts) and saves
its place in .durable/migrate/: Ctrl-C stops after the batch in hand, and running the command
again continues there. An actor migrated already is never migrated again.
${examples(
  "durable migrate --dry-run",
  "durable migrate --stage prod --rate 200",
  "durable migrate --stage prod --json > migrate.log",
)}`,
      )
      .action((opts: Omit<MigrateArgs, "stage"> & { stage?: string }) =>
        run(() => runMigrate({ ...opts, stage: opts.stage }, ctx)),
      );
  },
};
