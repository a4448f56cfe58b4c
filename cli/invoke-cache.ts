import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { CliContext } from "./context.ts";
import { parseInvokeArgv } from "./invoke-argv.ts";
import { projectRootOf } from "./project-root.ts";

/**
 * A one-shot `durable invoke` spends most of its time parsing JavaScript: the CLI's invoke path,
 * the project's runtime copy and its actors, about 70 files, on every run. So the first local
 * invoke of a project compiles them into one bundle with Bun's bytecode cache
 * (cli/invoke-compile.ts), in .durable/cache/invoke, and later invokes load that instead — as
 * long as every file it was built from is unchanged (size, mtime and ctime of each, and of each
 * actor folder, so an added actor counts), it was built for this project, by this durable and by
 * this very Bun. Anything else runs from source, as before, and the next compile catches up.
 */

/** What the bundle exports: cli/main.ts's runner and cli/context.ts's process context. */
export interface CompiledCli {
  runCli(argv: readonly string[], ctx: CliContext): Promise<number>;
  processContext(): CliContext;
}

/** What .durable/cache/invoke/manifest.json records about the bundle. */
export interface InvokeCacheManifest {
  format: typeof FORMAT;
  bun: string;
  root: string;
  /** The cli/ folder of the durable that compiled it: another install in the same project has its own code. */
  cli: string;
  /** The bundle's file name in the cache folder; absent when these inputs cannot be compiled. */
  bundle?: string;
  /** Why these inputs are not compiled (the source path runs until one of them changes). */
  skipped?: string;
  /** Every file the bundle was built from, and the actor folders: [path, size, mtimeMs, ctimeMs]. */
  inputs: InputStat[];
}

export type InputStat = [path: string, size: number, mtimeMs: number, ctimeMs: number];

export type CachedInvoke =
  /** The compiled CLI, ready to run this invoke. */
  | { cli: CompiledCli; root: string }
  /** No usable bundle: run from source, then compile for the next invoke. */
  | { cli: undefined; root: string };

const FORMAT = 1;
export const BUN_BUILD = `${Bun.version}+${Bun.revision}`;

export function invokeCacheDir(root: string): string {
  return join(root, ".durable", "cache", "invoke");
}

/** The compiled entry bin/durable starts a local invoke with, when there is one (cli/invoke-launch.ts). */
export const LAUNCHER = "launch.js";

/**
 * The compiled CLI for this command, if it is a local invoke in the forms the fast path takes
 * and the project's bundle is fresh; `undefined` when the command is anything else (or this state
 * of the files cannot be compiled).
 */
export function cachedInvoke(argv: readonly string[], cwd: string, cliDir: string): CachedInvoke | undefined {
  if (argv[0] !== "invoke") return undefined;
  const args = parseInvokeArgv(argv.slice(1));
  // A stage invoke waits on the network, not on parsing; its modules stay out of the bundle.
  if (args === undefined || args.stage !== undefined) return undefined;
  const root = projectRootOf(cwd);
  if (root === undefined) return undefined; // not in a project: the command explains that
  const dir = invokeCacheDir(root);
  let manifest: InvokeCacheManifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as InvokeCacheManifest;
  } catch {
    return { cli: undefined, root };
  }
  const fresh =
    manifest.format === FORMAT &&
    manifest.bun === BUN_BUILD &&
    manifest.root === root &&
    manifest.cli === cliDir &&
    manifest.inputs.every(([path, ...recorded]) => sameStat(path, recorded));
  if (!fresh) return { cli: undefined, root };
  if (manifest.bundle === undefined) return undefined;
  try {
    return { cli: require(join(dir, manifest.bundle)) as CompiledCli, root };
  } catch {
    // Replaced by a concurrent compile between the manifest and the bundle: run from source.
    return { cli: undefined, root };
  }
}

export function statInput(path: string): InputStat {
  const s = statSync(path);
  return [path, s.size, s.mtimeMs, s.ctimeMs];
}

function sameStat(path: string, [size, mtimeMs, ctimeMs]: number[]): boolean {
  try {
    const s = statSync(path);
    return s.size === size && s.mtimeMs === mtimeMs && s.ctimeMs === ctimeMs;
  } catch {
    return false;
  }
}
