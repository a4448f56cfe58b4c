import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { BuildOutput, BunPlugin } from "bun";
import { CliError } from "./errors.ts";
import { PACKAGE_ROOT } from "./templates.ts";

export interface BundleProjectOptions {
  /** The project folder (with durable.config.ts and the runtime copy in durable/). */
  root: string;
  /** The files whose exported actor definitions the function serves. */
  actorFiles: readonly string[];
  /** Where the bundle goes; only the bundle is written there, so the folder can be zipped as is. */
  outdir: string;
  /** Shrink whitespace and syntax (names stay, so stack traces stay readable). Default true. */
  minify?: boolean;
}

export interface BundleResult {
  /** The generated entry module (under .durable/build, outside the zipped folder). */
  entryPath: string;
  /** The bundle: `index.mjs`, so the function's handler setting is `index.handler`. */
  outfile: string;
  bytes: number;
}

/** The Lambda handler setting that matches the bundle's file name and export. */
export const LAMBDA_HANDLER = "index.handler";
const OUTPUT_NAME = "index.mjs";
/** Any static, dynamic or require import of a Bun built-in module left in the output. */
const BUN_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)["'](bun(?::[^"']*)?)["']/;

/**
 * Bundles a project's actors and the runtime's Lambda entry into one Node ESM file, as `durable
 * build` does: ESM because nodejs22.x runs it natively and the SDK's ES builds tree-shake; the AWS
 * SDK is bundled in (from the project's node_modules, or else from this CLI's), so the zip needs
 * no node_modules. Fails, naming the importer, if anything would import a `bun:` module: a Lambda
 * runs Node.
 * @example const { outfile, bytes } = await bundleProject({ root, actorFiles: project.actorFiles(), outdir: join(root, ".durable", "lambda") });
 */
export async function bundleProject(options: BundleProjectOptions): Promise<BundleResult> {
  const root = resolve(options.root);
  const outdir = resolve(options.outdir);
  if (options.actorFiles.length === 0) {
    throw new CliError("BUNDLE_NO_ACTORS", "there are no actor files to bundle", {
      hint: "list the actor files or folders in `actors` in durable.config.ts",
    });
  }
  const runtimeEntry = join(root, "durable", "adapters", "aws", "lambda.ts");
  if (!existsSync(runtimeEntry)) {
    throw new CliError(
      "BUNDLE_NO_RUNTIME",
      `${relative(process.cwd(), runtimeEntry)} is missing, so the project cannot run on Lambda`,
      {
        hint: "the runtime copy in durable/ is part of the project; re-create it with durable init",
      },
    );
  }
  const buildDir = join(root, ".durable", "build");
  mkdirSync(buildDir, { recursive: true });
  mkdirSync(outdir, { recursive: true });
  const entryPath = join(buildDir, "lambda-entry.ts");
  writeFileSync(
    entryPath,
    entrySource(
      buildDir,
      runtimeEntry,
      options.actorFiles.map((f) => resolve(root, f)),
    ),
  );

  const bunImports: { specifier: string; importer: string }[] = [];
  const result = await Bun.build({
    entrypoints: [entryPath],
    outdir,
    naming: OUTPUT_NAME,
    target: "node",
    format: "esm",
    minify: options.minify === false ? false : { whitespace: true, syntax: true, identifiers: false },
    plugins: [lambdaResolution(bunImports)],
    throw: false,
  });
  const outfile = join(outdir, OUTPUT_NAME);
  if (bunImports.length > 0) {
    // Removed so a deploy can never pick up a bundle that would fail on its first cold start.
    rmSync(outfile, { force: true });
    throw bunImportError(bunImports.map((b) => `${b.specifier} (imported by ${relative(root, b.importer)})`));
  }
  if (!result.success) {
    throw new CliError(
      "BUNDLE_FAILED",
      `bundling the Lambda function failed:\n${result.logs.map((log) => describeLog(log, root)).join("\n")}`,
      {
        hint: "fix the import or syntax error above in the actor files",
      },
    );
  }
  // A backstop for imports no resolver saw (a string built at run time cannot be caught at all).
  const leftover = BUN_IMPORT.exec(readFileSync(outfile, "utf8"));
  if (leftover?.[1]) {
    rmSync(outfile, { force: true });
    throw bunImportError([leftover[1]]);
  }
  return { entryPath, outfile, bytes: statSync(outfile).size };
}

/** `file:line:column: message`, relative to the project, the way an editor links it. */
function describeLog(log: BuildOutput["logs"][number], root: string): string {
  const at = log.position;
  return at ? `${relative(root, at.file)}:${at.line}:${at.column}: ${log.message}` : log.message;
}

/** The generated entry: every actor file's exports, served by the runtime copy's own Lambda entry. */
function entrySource(buildDir: string, runtimeEntry: string, actorFiles: readonly string[]): string {
  const spec = (file: string): string => {
    const rel = relative(buildDir, file).split(sep).join("/");
    return JSON.stringify(rel.startsWith(".") ? rel : `./${rel}`);
  };
  const imports = actorFiles.map((file, i) => `import * as actors${i} from ${spec(file)};`);
  return [
    "// Generated by `durable build`: do not edit. One handler serves every actor of the project.",
    `import { collectActors, createLambdaHandler } from ${spec(runtimeEntry)};`,
    ...imports,
    "",
    `export const handler = createLambdaHandler(collectActors(${actorFiles.map((_, i) => `actors${i}`).join(", ")}));`,
    "",
  ].join("\n");
}

/**
 * Resolves `@aws-sdk/*` from this CLI's node_modules when the project has none (a generated
 * project depends on the CLI, not on the SDK), and records every `bun` import so the build can
 * name who made it.
 */
function lambdaResolution(bunImports: { specifier: string; importer: string }[]): BunPlugin {
  return {
    name: "durable-lambda-resolution",
    setup(build) {
      build.onResolve({ filter: /^bun(:|$)/ }, (args) => {
        bunImports.push({ specifier: args.path, importer: args.importer });
        return { path: args.path, external: true };
      });
      build.onResolve({ filter: /^@aws-sdk\// }, (args) => {
        const name = packageName(args.path);
        if (findPackageDir(name, dirname(args.importer))) return undefined;
        const dir = findPackageDir(name, PACKAGE_ROOT);
        if (!dir) return undefined;
        return { path: packageEntry(dir, args.path.slice(name.length)) };
      });
    },
  };
}

function packageName(specifier: string): string {
  return specifier.split("/").slice(0, 2).join("/");
}

/** Node's lookup: node_modules/<name> in this folder or any parent. */
function findPackageDir(name: string, from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

type ExportsValue = string | null | { [condition: string]: ExportsValue } | ExportsValue[];

/** The file a Node ESM import of the package (or a subpath) loads; prefers ES builds, which tree-shake. */
function packageEntry(dir: string, subpath: string): string {
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    exports?: ExportsValue;
    module?: string;
    main?: string;
  };
  const key = subpath === "" ? "." : `.${subpath}`;
  const exported = pkg.exports === undefined ? undefined : pickExport(pkg.exports, key);
  const target = exported ?? (subpath === "" ? (pkg.module ?? pkg.main ?? "index.js") : subpath.slice(1));
  return isAbsolute(target) ? target : join(dir, target);
}

function pickExport(exports: ExportsValue, key: string): string | undefined {
  if (typeof exports === "string") return key === "." ? exports : undefined;
  if (exports === null || Array.isArray(exports)) return undefined;
  const entry = Object.keys(exports).some((k) => k.startsWith("."))
    ? exports[key]
    : key === "."
      ? exports
      : undefined;
  return entry === undefined ? undefined : pickCondition(entry);
}

function pickCondition(value: ExportsValue): string | undefined {
  if (typeof value === "string") return value;
  if (value === null || Array.isArray(value)) return undefined;
  for (const condition of ["node", "import", "module", "default"]) {
    const next = value[condition];
    if (next !== undefined) {
      const picked = pickCondition(next);
      if (picked) return picked;
    }
  }
  return undefined;
}

function bunImportError(modules: readonly string[]): CliError {
  return new CliError(
    "BUNDLE_BUN_IMPORT",
    `the Lambda bundle would import ${modules.join(", ")}, but Lambda runs Node, where bun: modules do not exist`,
    {
      hint: "keep Bun APIs (bun:sqlite, Bun.*) out of actor code and everything it imports; the local adapter is never part of the function",
    },
  );
}
