import { cpSync, existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT, type TemplateName, templateDir } from "./templates.ts";

interface ProjectPackage {
  name?: string;
  devDependencies?: Record<string, string>;
  allowScripts?: Record<string, boolean>;
}

/** Files named like this in a template are renamed on copy (npm would drop a real .gitignore). */
const RENAMES: Record<string, string> = { _gitignore: ".gitignore", _npmrc: ".npmrc" };

/**
 * Copies a template and the runtime into `target`: the template's files, then runtime/ as
 * `durable/`, then package.json with the project's name. The dependency on this CLI is added by
 * `addCliDependency` once it is known (it may need the folder to pack into).
 */
export function scaffoldProject(template: TemplateName, target: string, projectName: string): void {
  cpSync(templateDir(template), target, {
    recursive: true,
    filter: (src) => !src.includes(`${"/"}node_modules`) && !src.includes("/.durable"),
  });
  for (const [from, to] of Object.entries(RENAMES)) {
    if (existsSync(join(target, from))) renameSync(join(target, from), join(target, to));
  }
  cpSync(join(PACKAGE_ROOT, "runtime"), join(target, "durable"), { recursive: true });
  updatePackage(target, (pkg) => {
    pkg.name = projectName;
  });
}

/**
 * Makes the project depend on the `durable` CLI (`spec`, see cliDependency), and lets Bun's
 * postinstall run: it puts the Bun binary in place, and npm asks projects to allow such scripts.
 */
export function addCliDependency(target: string, spec: string): void {
  updatePackage(target, (pkg) => {
    pkg.devDependencies = { ...pkg.devDependencies, "durable-lambda": spec };
    pkg.allowScripts = { ...pkg.allowScripts, bun: true };
  });
}

function updatePackage(target: string, change: (pkg: ProjectPackage) => void): void {
  const path = join(target, "package.json");
  const pkg = JSON.parse(readFileSync(path, "utf8")) as ProjectPackage;
  change(pkg);
  writeFileSync(path, `${JSON.stringify(pkg, null, 2)}\n`);
}

/** Every file under `dir`, as paths relative to it. */
export function listFiles(dir: string, prefix = ""): string[] {
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
