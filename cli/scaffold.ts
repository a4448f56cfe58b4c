import { cpSync, existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT, type TemplateName, templateDir } from "./templates.ts";

/** Files named like this in a template are renamed on copy (npm would drop a real .gitignore). */
const RENAMES: Record<string, string> = { _gitignore: ".gitignore", _npmrc: ".npmrc" };

/**
 * Copies a template and the runtime into `target`: the template's files, then runtime/ as
 * `durable/`, then package.json with the project's name and a dependency on this CLI.
 */
export function scaffoldProject(template: TemplateName, target: string, projectName: string): string[] {
  cpSync(templateDir(template), target, {
    recursive: true,
    filter: (src) => !src.includes(`${"/"}node_modules`) && !src.includes("/.durable"),
  });
  for (const [from, to] of Object.entries(RENAMES)) {
    if (existsSync(join(target, from))) renameSync(join(target, from), join(target, to));
  }
  cpSync(join(PACKAGE_ROOT, "runtime"), join(target, "durable"), { recursive: true });
  const pkgPath = join(target, "package.json");
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as Record<string, unknown>;
  pkg.name = projectName;
  const devDependencies = { ...((pkg.devDependencies as Record<string, string> | undefined) ?? {}) };
  devDependencies["durable-lambda"] = cliDependencySpec();
  pkg.devDependencies = devDependencies;
  writeFileSync(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
  return listFiles(target);
}

/** Where the project gets the `durable` CLI (and through it Bun): this very package. */
function cliDependencySpec(): string {
  const own = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string };
  // Installed from a registry, depend on the same version; run from a checkout, link to it.
  return PACKAGE_ROOT.includes(`${"/"}node_modules/`) ? `^${own.version}` : `file:${PACKAGE_ROOT}`;
}

function listFiles(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const rel = prefix ? `${prefix}/${entry}` : entry;
    if (statSync(path).isDirectory()) out.push(...listFiles(path, rel));
    else out.push(rel);
  }
  return out;
}

/** A folder is safe to create a project in if it is missing or empty. */
export function isUsableTarget(target: string): boolean {
  return !existsSync(target) || (statSync(target).isDirectory() && readdirSync(target).length === 0);
}
