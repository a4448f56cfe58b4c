import { watch } from "node:fs";
import { dirname, relative } from "node:path";
import type { Command } from "commander";
import type { Fabric } from "../../runtime/core/fabric.ts";
import { QueueWorker } from "../../runtime/core/queue-worker.ts";
import type { TurnLogEntry } from "../../runtime/core/turn.ts";
import { type CommandModule, examples } from "../command.ts";
import type { CliContext } from "../context.ts";
import { startDevServer } from "../dev/server.ts";
import { UsageError } from "../errors.ts";
import { inspectorHandler } from "../inspect/api.ts";
import { newCsrfToken } from "../inspect/csrf.ts";
import { localInspectorSource } from "../inspect/local-source.ts";
import { describeLocalTarget } from "../local-fabric.ts";
import { Output } from "../output.ts";
import { openProject } from "../project.ts";
import { formatTurn } from "../turn-format.ts";
import { turnLogWriter } from "../turn-log.ts";

export interface DevArgs {
  port: string | undefined;
  json?: boolean | undefined;
}

/** How long `durable dev` keeps an actor's lease after a commit: DURABLE_WARM_GRACE_MS, as on Lambda, else 50 ms. */
function warmGraceMs(env: CliContext["env"]): number {
  const raw = env.DURABLE_WARM_GRACE_MS;
  if (raw === undefined || raw === "") return 50;
  if (!/^\d{1,7}$/.test(raw))
    throw new UsageError(
      `DURABLE_WARM_GRACE_MS must be a whole number of milliseconds, got "${raw}"`,
      "unset it for the default (50), or 0 to turn the warm path off",
    );
  return Number(raw);
}

/** Serves the local fabric until Ctrl-C: HTTP API, queue worker, timer loop, reload on change. */
export async function runDev(args: DevArgs, ctx: CliContext, onReady?: (url: string) => void): Promise<void> {
  const out = new Output(ctx, { json: args.json });
  const project = await openProject(ctx.cwd);
  const port = args.port === undefined ? project.config.dev.port : Number(args.port);
  const grace = warmGraceMs(ctx.env);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port ${args.port} is not a port number`);

  const ports = project.local.openLocalPorts({
    path: project.dbPath,
    durability: project.config.dev.durability,
    largeState: true,
  });
  const logTurn = turnLogWriter(project.root);
  const onTurn = (e: TurnLogEntry) => {
    logTurn(e);
    out.line(e, formatTurn(e, out.c));
  };
  const writeLog = (line: string) => ctx.stdout.write(`${line}\n`);
  const build = async (fresh: boolean): Promise<Fabric> =>
    new project.runtime.Fabric({
      ports,
      actors: await project.loadActors(fresh),
      owner: `dev-${process.pid}`,
      // The warm path, as a Lambda container has it: this process's next turn on an actor it just
      // committed runs on that state and commits in one write. Another process (a `durable invoke`,
      // `durable state unpark`) takes the lease over at once, so nobody waits for the grace.
      warmGraceMs: grace,
      onTurn,
      writeLog,
      routeSignals: true,
    });

  let fabric = await build(false);
  let worker = new QueueWorker(fabric, ports.queue, { onError: (e) => out.warn(`queue: ${String(e)}`) });
  const timers = ports.timerLoop({ onError: (e) => out.warn(`timers: ${String(e)}`) });
  const inspected = localInspectorSource(project, { ports, fabric: () => fabric });
  let server: ReturnType<typeof startDevServer>;
  try {
    server = startDevServer({
      port,
      ports,
      fabric: () => fabric,
      inspector: inspectorHandler(inspected, { csrfToken: newCsrfToken() }),
    });
  } catch (error) {
    ports.close();
    throw new UsageError(
      `could not listen on 127.0.0.1:${port}: ${(error as Error).message}`,
      "pass --port <n>, or --port 0 for a free one",
    );
  }
  worker.start();
  timers.start();

  const reload = debounce(async () => {
    try {
      const next = await build(true);
      await worker.stop();
      fabric = next;
      worker = new QueueWorker(fabric, ports.queue, { onError: (e) => out.warn(`queue: ${String(e)}`) });
      worker.start();
      out.success(`reloaded ${next.registry.names.join(", ")}`);
    } catch (error) {
      out.warn(`reload failed, still serving the previous actors: ${(error as Error).message}`);
    }
  }, 100);
  const watchers = [...new Set(project.actorFiles().map((f) => dirname(f)))].map((dir) =>
    watch(dir, { recursive: true }, () => reload()),
  );

  out.target(describeLocalTarget(project));
  out.info(
    `${out.c.bold("durable dev")} listening on ${out.c.cyan(server.url)}  actors: ${fabric.registry.names.join(", ")}`,
  );
  out.info(`inspector: ${out.c.cyan(`${server.url}/`)}  (actors, state, versions, timers, dead letters)`);
  out.info(out.c.dim(`try: curl -X POST ${server.url}/actors/${sampleId(fabric)} -d '{}'`));
  if (args.json)
    out.line(
      {
        type: "ready",
        url: server.url,
        inspector: `${server.url}/`,
        port: server.port,
        actors: fabric.registry.names,
      },
      "",
    );
  onReady?.(server.url);

  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    ctx.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  for (const w of watchers) w.close();
  await Promise.all([worker.stop(), timers.stop(), server.stop()]);
  await inspected.close();
  ports.close();
  out.info(`stopped (${relative(ctx.cwd, project.dbPath)} keeps the state)`);
}

function sampleId(fabric: Fabric): string {
  return `${fabric.registry.names[0] ?? "counter"}-1`;
}

function debounce(fn: () => Promise<void>, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void fn(), ms);
  };
}

export const devCommand: CommandModule = {
  register(program: Command, run, ctx) {
    program
      .command("dev")
      .description(
        "serve the local fabric on 127.0.0.1: HTTP API, queue, timers, state stream; reloads actors on change",
      )
      .option("-p, --port <n>", "port (default: dev.port in durable.config.ts, 8787; 0 = a free port)")
      .option("--json", "print turns as JSON lines")
      .addHelpText(
        "after",
        examples(
          "durable dev",
          "durable dev --port 0 --json",
          `curl -X POST http://127.0.0.1:8787/actors/counter-1/increment -d '{"by":2}'`,
          "curl -N http://127.0.0.1:8787/events?actor=counter-1",
        ),
      )
      .action((opts: DevArgs) => run(() => runDev(opts, ctx)));
  },
};
