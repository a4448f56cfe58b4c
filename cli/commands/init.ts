import { existsSync, mkdirSync, rmSync } from "node:fs";
import { basename, relative, resolve } from "node:path";
import type { Command } from "commander";
import { cliDependency } from "../cli-package.ts";
import { type CommandModule, examples } from "../command.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { Output } from "../output.ts";
import { addCliDependency, isUsableTarget, listFiles, scaffoldProject } from "../scaffold.ts";
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
  yes?: boolean | undefined;
  install: boolean;
  git: boolean;
  json?: boolean | undefined;
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
  const existed = existsSync(target);
  try {
    scaffoldProject(template, target, projectName);
    addCliDependency(target, await cliDependency(target, ctx.shell));
  } catch (error) {
    // Nothing half-made stays behind: the folder was missing or empty, and is again.
    rmSync(target, { recursive: true, force: true });
    if (existed) mkdirSync(target);
    throw error;
  }
  const files = listFiles(target);
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
  const rel = relative(ctx.cwd, target);
  const result: InitResult = { template, dir: target, files: files.length, git, installed };
  const step = (command: string, why = "") => `  ${why ? `${command.padEnd(40)} # ${why}` : command}`;
  const steps = [
    ...(rel ? [step(`cd ${rel.includes(" ") ? JSON.stringify(rel) : rel}`)] : []),
    ...(installed ? [] : [step("npm install", "durable and Bun, into node_modules")]),
    step("npx durable dev", "the local fabric on 127.0.0.1"),
    step(`npx durable invoke ${sampleId(template)} --sync`, "call an actor"),
    step("npm test", "the project's own tests"),
  ];
  out.result(result, ["", "Next steps:", ...steps].join("\n"));
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
      .option("-y, --yes", "accept every default without prompting")
      .option("--no-install", "skip npm install")
      .option("--no-git", "skip git init")
      .option("--json", "print the result as JSON")
      .addHelpText(
        "after",
        `${examples(
          "durable init --template counter",
          "durable init my-app --template leaderboard --yes",
          "durable init . --template rate-limiter --no-install",
          "durable init",
        )}
The project depends on this CLI: from npm, by version; otherwise (a checkout, a tarball) by a
copy packed into the project's vendor/ folder. Either way the project stands alone: copy or move
it anywhere, run npm install, and npm test and npx durable work there.
`,
      )
      .action((dir: string | undefined, opts: Omit<InitArgs, "dir">) =>
        run(async () => {
          await runInit({ dir, ...opts }, ctx);
        }),
      );
  },
};
