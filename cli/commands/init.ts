import { basename, relative, resolve } from "node:path";
import type { Command } from "commander";
import { type CommandModule, examples } from "../command.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { Output } from "../output.ts";
import { isUsableTarget, scaffoldProject } from "../scaffold.ts";
import {
  isTemplateName,
  TEMPLATE_NAMES,
  TEMPLATES,
  type TemplateName,
  templateExists,
} from "../templates.ts";

export interface InitArgs {
  dir: string | undefined;
  template: string | undefined;
  yes: boolean;
  install: boolean;
  git: boolean;
  json: boolean;
}

export interface InitResult {
  template: TemplateName;
  dir: string;
  files: number;
  git: boolean;
  installed: boolean;
}

const PROJECT_NAME = /^[a-z0-9][a-z0-9._-]{0,213}$/;

export async function runInit(args: InitArgs, ctx: CliContext): Promise<InitResult> {
  const out = new Output(ctx, { json: args.json });
  const interactive = ctx.prompts.interactive && !args.yes && !args.json;
  const template = await chooseTemplate(args.template, interactive, ctx);
  const dirName =
    args.dir ?? (interactive ? await ctx.prompts.text("Project directory", template) : template);
  const target = resolve(ctx.cwd, dirName);
  const projectName = basename(target).toLowerCase();
  if (!PROJECT_NAME.test(projectName)) {
    throw new UsageError(
      `"${basename(target)}" is not a valid project name`,
      "use lowercase letters, digits, '.', '_' and '-'",
    );
  }
  if (!isUsableTarget(target)) {
    throw new UsageError(
      `${relative(ctx.cwd, target) || "."} already exists and is not empty`,
      "choose another directory or empty it first",
    );
  }
  const files = scaffoldProject(template, target, projectName);
  out.success(
    `created ${relative(ctx.cwd, target) || "."} from the ${template} template (${files.length} files)`,
  );

  let git = false;
  if (args.git) {
    const result = await ctx.shell.run(["git", "init", "--quiet"], { cwd: target }).catch(() => undefined);
    git = result?.exitCode === 0;
    if (!git) out.warn("git init failed; the project works without it");
  }
  let installed = false;
  if (args.install) {
    const spinner = out.spinner("installing dependencies (npm install)");
    const result = await ctx.shell
      .run(["npm", "install", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: target })
      .catch((error: Error) => ({ exitCode: 1, stdout: "", stderr: error.message }));
    installed = result.exitCode === 0;
    if (installed) spinner.stop("dependencies installed");
    else {
      spinner.stop();
      out.warn(
        `npm install failed: ${result.stderr.trim().split("\n").pop() ?? ""}; run it again inside the project`,
      );
    }
  }
  const rel = relative(ctx.cwd, target) || ".";
  const result: InitResult = { template, dir: target, files: files.length, git, installed };
  out.result(
    result,
    [
      "",
      "Next steps:",
      `  cd ${rel}`,
      "  npx durable dev                    # the local fabric on 127.0.0.1",
      `  npx durable invoke ${sampleId(template)} --sync   # call an actor`,
      "  npm test                           # the project's own tests",
    ].join("\n"),
  );
  return result;
}

async function chooseTemplate(
  flag: string | undefined,
  interactive: boolean,
  ctx: CliContext,
): Promise<TemplateName> {
  if (flag === undefined) {
    if (!interactive) {
      throw new UsageError("no template chosen", `pass --template with one of: ${TEMPLATE_NAMES.join(", ")}`);
    }
    return ctx.prompts.select(
      "Which template?",
      TEMPLATES.map((t) => ({ value: t.name, label: t.name, hint: t.description })),
      "counter",
    );
  }
  if (!isTemplateName(flag)) {
    throw new UsageError(`unknown template "${flag}"`, `choose one of: ${TEMPLATE_NAMES.join(", ")}`);
  }
  if (!templateExists(flag))
    throw new UsageError(`the ${flag} template is not part of this build`, "choose counter");
  return flag;
}

function sampleId(template: TemplateName): string {
  const ids: Record<TemplateName, string> = {
    counter: "counter-1",
    "rate-limiter": "rate-limiter-api",
    leaderboard: "leaderboard-global",
    "order-processing": "order-1",
    "distributed-cron": "cron-main",
    "circuit-breaker": "breaker-payments",
  };
  return ids[template];
}

export const initCommand: CommandModule = {
  register(program: Command, run, ctx) {
    program
      .command("init")
      .argument("[dir]", "directory to create (default: the template name)")
      .description("create a project from a template")
      .option("-t, --template <name>", `one of: ${TEMPLATE_NAMES.join(", ")}`)
      .option("-y, --yes", "accept every default without prompting", false)
      .option("--no-install", "skip npm install")
      .option("--no-git", "skip git init")
      .option("--json", "print the result as JSON", false)
      .addHelpText(
        "after",
        examples(
          "durable init --template counter",
          "durable init my-app --template leaderboard --yes",
          "durable init",
        ),
      )
      .action((dir: string | undefined, opts: Omit<InitArgs, "dir">) =>
        run(async () => {
          await runInit({ dir, ...opts }, ctx);
        }),
      );
  },
};
