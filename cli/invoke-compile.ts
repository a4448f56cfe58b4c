import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, join, resolve, sep } from "node:path";
import type { BunPlugin } from "bun";
import {
  BUN_BUILD,
  type InputStat,
  type InvokeCacheManifest,
  invokeCacheDir,
  LAUNCHER,
  statInput,
} from "./invoke-cache.ts";
import { openProject } from "./project.ts";
import { CONFIG_FILE } from "./project-root.ts";

const CLI_DIR = import.meta.dir;
const PACKAGE_DIR = dirname(CLI_DIR);
/** Code that finds files relative to itself would look in the cache folder once bundled. */
const SELF_RELATIVE = /\bimport\.meta\b|\b__dirname\b|\b__filename\b/;
/**
 * A file changed this close to the build may have changed while the bundler read it (file times
 * are coarse): nothing is recorded then, and the next invoke compiles again.
 */
const SETTLE_MS = 1000;

/**
 * Compiles the project's invoke path (this CLI's, the project's runtime copy, config and actors)
 * into .durable/cache/invoke as one CommonJS bundle with Bun's bytecode, with the launcher
 * bin/durable starts it by (cli/invoke-launch.ts), and records what they were built from
 * (cli/invoke-cache.ts). Best effort: whatever goes wrong, invokes keep running from source.
 * Inputs that cannot be compiled (a build error, code that finds files relative to itself, no
 * bytecode) are recorded as such, so no invoke tries again until one of them changes.
 */
export async function compileInvoke(root: string): Promise<void> {
  const dir = invokeCacheDir(root);
  const id = `${Date.now().toString(36)}-${process.pid}`;
  const work = join(dir, `build-${id}`);
  const bundle = `invoke-${id}.js`;
  const started = Date.now();
  try {
    mkdirSync(work, { recursive: true });
    const project = await openProject(root);
    const actorFiles = project.actorFiles();
    // Just written (a new project, a save): the build would not be recorded, so skip it.
    const known = [join(root, CONFIG_FILE), join(root, "durable", "index.ts"), ...actorFiles];
    if (known.map(statInput).some((stat) => changedSince(stat, started))) return;
    const entries = [join(work, "invoke.ts"), join(work, "launch.ts")];
    writeFileSync(entries[0] as string, bundleEntry(root, actorFiles));
    writeFileSync(entries[1] as string, launcherEntry());
    const result = await Bun.build({
      entrypoints: entries,
      outdir: work,
      target: "bun",
      format: "cjs",
      bytecode: true,
      metafile: true,
      plugins: [invokeExternals()],
      throw: false,
    });
    const built = Object.keys(result.metafile?.inputs ?? {})
      .map((input) => resolve(input))
      .filter((input) => !entries.includes(input));
    const folders = project.config.actors
      .map((a) => resolve(root, a))
      .filter((p) => statSync(p).isDirectory());
    const sources = built.length > 0 ? built : known;
    const inputs = [...sources, ...folders].map(statInput);
    if (inputs.some((stat) => changedSince(stat, started))) return;
    const skipped = result.success
      ? uncompilable(built, root, [join(work, "invoke.js.jsc"), join(work, "launch.js.jsc")])
      : `the build failed: ${result.logs.map((log) => log.message).join("; ")}`;
    if (skipped === undefined) {
      // The bytecode first: a launcher read between the two renames parses its source instead.
      for (const ext of [".js.jsc", ".js"]) {
        renameSync(join(work, `invoke${ext}`), join(dir, bundle.replace(/\.js$/, ext)));
        renameSync(join(work, `launch${ext}`), join(dir, LAUNCHER.replace(/\.js$/, ext)));
      }
    } else rmSync(join(dir, LAUNCHER), { force: true });
    writeManifest(dir, {
      format: 1,
      bun: BUN_BUILD,
      root,
      cli: CLI_DIR,
      inputs,
      ...(skipped === undefined ? { bundle } : { skipped }),
    });
  } catch {
    // The cache is an optimisation: a failure here only means the next invoke runs from source too.
  } finally {
    rmSync(work, { recursive: true, force: true });
    removeOtherBundles(dir, bundle);
  }
}

function changedSince([, , mtimeMs, ctimeMs]: InputStat, started: number): boolean {
  return Math.max(mtimeMs, ctimeMs) > started - SETTLE_MS;
}

/** Why a bundle that built cannot stand in for the sources, if it cannot. */
function uncompilable(
  inputs: readonly string[],
  root: string,
  bytecode: readonly string[],
): string | undefined {
  const projectCode = inputs.filter(
    (input) => input.startsWith(`${root}${sep}`) && !input.startsWith(`${PACKAGE_DIR}${sep}`),
  );
  const selfRelative = projectCode.find((input) => SELF_RELATIVE.test(readFileSync(input, "utf8")));
  if (selfRelative) return `${selfRelative} finds files relative to itself`;
  // Without its bytecode a bundle parses no faster than the sources.
  if (!bytecode.every((file) => existsSync(file))) return "Bun produced no bytecode for it";
  return undefined;
}

/** The launcher's entry: cli/invoke-launch.ts, for this cli/ folder. */
function launcherEntry(): string {
  return [
    "// Generated by durable for .durable/cache/invoke: do not edit.",
    `import { launch } from ${JSON.stringify(join(CLI_DIR, "invoke-launch.ts"))};`,
    `launch(${JSON.stringify(CLI_DIR)});`,
    "",
  ].join("\n");
}

/** The bundle's entry: the CLI's runner, and the project's modules handed to openProject. */
function bundleEntry(root: string, actorFiles: readonly string[]): string {
  const at = (...parts: string[]) => JSON.stringify(join(...parts));
  return [
    "// Generated by durable for .durable/cache/invoke: do not edit.",
    `import { runCli } from ${at(CLI_DIR, "main.ts")};`,
    `import { processContext } from ${at(CLI_DIR, "context.ts")};`,
    `import { useCompiledProject } from ${at(CLI_DIR, "project.ts")};`,
    `import config from ${at(root, "durable.config.ts")};`,
    `import * as runtime from ${at(root, "durable", "index.ts")};`,
    `import * as local from ${at(root, "durable", "adapters", "local", "index.ts")};`,
    ...actorFiles.map((file, i) => `import * as actors${i} from ${at(file)};`),
    "useCompiledProject({",
    `  root: ${JSON.stringify(root)},`,
    "  config,",
    "  runtime,",
    "  local,",
    `  actors: { ${actorFiles.map((file, i) => `${JSON.stringify(file)}: actors${i}`).join(", ")} },`,
    "});",
    "export { runCli, processContext };",
    "",
  ].join("\n");
}

/**
 * What a local invoke never loads stays out of the bundle, loaded from source if ever needed: the
 * full CLI (commander and every other command) and the stage target (the AWS SDK). Packages stay
 * packages, resolved now to the very file the sources would load.
 */
function invokeExternals(): BunPlugin {
  return {
    name: "durable-invoke-externals",
    setup(build) {
      build.onResolve({ filter: /^\.\/(program|stage-target)\.ts$/ }, (args) =>
        dirname(args.importer) === CLI_DIR ? { path: join(CLI_DIR, args.path), external: true } : undefined,
      );
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (isBuiltin(args.path) || args.path.startsWith("bun:")) return undefined;
        try {
          return { path: Bun.resolveSync(args.path, dirname(args.importer)), external: true };
        } catch {
          return undefined;
        }
      });
    },
  };
}

function writeManifest(dir: string, manifest: InvokeCacheManifest): void {
  const tmp = join(dir, `manifest.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(manifest));
  renameSync(tmp, join(dir, "manifest.json"));
}

/** Earlier bundles: a process that loaded one has it in memory, and a late reader runs from source. */
function removeOtherBundles(dir: string, keep: string): void {
  try {
    for (const name of readdirSync(dir)) {
      if (name.startsWith("invoke-") && !name.startsWith(keep)) rmSync(join(dir, name), { force: true });
    }
  } catch {
    // Best effort.
  }
}
