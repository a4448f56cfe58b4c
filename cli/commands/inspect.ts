import type { Command } from "commander";
import { type CommandModule, examples } from "../command.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { inspectorHandler } from "../inspect/api.ts";
import { newCsrfToken } from "../inspect/csrf.ts";
import { startInspectorServer } from "../inspect/server.ts";
import type { InspectorSource } from "../inspect/source.ts";
import { Output } from "../output.ts";
import { openProject } from "../project.ts";

export interface InspectArgs {
  stage?: string | undefined;
  port?: string | undefined;
  json?: boolean | undefined;
}

/** Where `durable inspect` listens unless told otherwise (`durable dev` takes 8787). */
export const DEFAULT_INSPECT_PORT = 8788;

/**
 * Serves the inspector page on 127.0.0.1 until Ctrl-C: the local fabric, or with --stage a
 * deployed stage read with this machine's AWS credentials (nothing is deployed for it).
 */
export async function runInspect(
  args: InspectArgs,
  ctx: CliContext,
  onReady?: (url: string) => void,
): Promise<void> {
  const out = new Output(ctx, { json: args.json });
  const port = args.port === undefined ? DEFAULT_INSPECT_PORT : Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port ${args.port} is not a port number`);
  const project = await openProject(ctx.cwd);
  let source: InspectorSource;
  if (args.stage === undefined) {
    const { openLocalInspectorSource } = await import("../inspect/local-source.ts");
    source = await openLocalInspectorSource(project);
  } else {
    const { openStageInspectorSource } = await import("../inspect/stage-source.ts");
    source = await openStageInspectorSource(project, args.stage, ctx.env);
  }
  let server: ReturnType<typeof startInspectorServer>;
  try {
    server = startInspectorServer(port, inspectorHandler(source, { csrfToken: newCsrfToken() }));
  } catch (error) {
    await source.close();
    throw new UsageError(
      `could not listen on 127.0.0.1:${port}: ${(error as Error).message}`,
      "pass --port <n>, or --port 0 for a free one",
    );
  }
  const url = `${server.url}/`;
  out.target(source.target.description);
  out.info(`${out.c.bold("durable inspect")} on ${out.c.cyan(url)}  (Ctrl-C to stop)`);
  if (source.target.kind === "stage") {
    out.info(out.c.dim("a stage keeps only each actor's latest version; invoke and unpark ask to confirm"));
  }
  if (args.json) out.line({ type: "ready", url, port: server.port, target: source.target.description }, "");
  onReady?.(url);
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    ctx.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await server.stop();
  await source.close();
  out.info("stopped");
}

export const inspectCommand: CommandModule = {
  register(program: Command, run, ctx) {
    program
      .command("inspect")
      .description(
        "open the actor inspector in the browser: the fleet, each actor's state, versions, timers, waiting and dead-lettered messages; invoke and unpark",
      )
      .option("-s, --stage <name>", "a deployed stage, read with your AWS credentials (nothing is deployed)")
      .option("-p, --port <n>", `port on 127.0.0.1 (default ${DEFAULT_INSPECT_PORT}; 0 = a free port)`)
      .option("--json", "print the ready line as JSON")
      .addHelpText(
        "after",
        examples(
          "durable inspect                 # the local fabric; durable dev also serves it at /",
          "durable inspect --stage prod",
          "durable inspect --port 0 --json",
        ),
      )
      .action((opts: InspectArgs) => run(() => runInspect(opts, ctx)));
  },
};
