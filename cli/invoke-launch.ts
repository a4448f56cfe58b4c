import { join } from "node:path";
import { cachedInvoke } from "./invoke-cache.ts";

/**
 * What bin/durable starts for `durable invoke` in a project that has a compiled bundle: this file,
 * compiled with the bundle into .durable/cache/invoke/launch.js, so not one file is parsed from
 * source before the bundle runs. It is started as `bun launch.js <package> <args>`, <package>
 * being the durable bin/durable belongs to; `cliDir` is the cli/ folder it was compiled from.
 * When the bundle is not current, or belongs to another durable, that durable's cli/main.ts runs
 * as bin/durable would have started it.
 */
export function launch(cliDir: string): void {
  const [, , pkg = "", ...argv] = process.argv;
  const main = join(pkg, "cli", "main.ts");
  process.argv.splice(1, 2, main);
  const cli = main === join(cliDir, "main.ts") ? cachedInvoke(argv, process.cwd(), cliDir)?.cli : undefined;
  const run = cli
    ? cli.runCli(argv, cli.processContext())
    : (require(main) as { main(): Promise<number> }).main();
  void run.then((code) => process.exit(code));
}
