import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type * as LocalAdapter from "../runtime/adapters/local/index.ts";
import type { AnyActorDefinition } from "../runtime/core/actor.ts";
import type * as Runtime from "../runtime/index.ts";
import { findProjectRoot, loadConfig, type ResolvedConfig, validateConfig } from "./config.ts";
import { ConfigError } from "./errors.ts";

export type RuntimeModule = typeof Runtime;
export type LocalAdapterModule = typeof LocalAdapter;

/**
 * A user's project. Its actors run on the project's own copy of the runtime (./durable), the one
 * its code imports, so errors and definitions come from one module graph.
 */
export interface Project {
  root: string;
  config: ResolvedConfig;
  /** The local fabric's database file. */
  dbPath: string;
  runtime: RuntimeModule;
  local: LocalAdapterModule;
  /** The actor source files named by the config. */
  actorFiles(): string[];
  /** Imports the actors; `fresh` bypasses the module cache (dev reload). */
  loadActors(fresh?: boolean): Promise<AnyActorDefinition[]>;
}

/**
 * A project's modules compiled, with this CLI's invoke path, into one bundle (cli/invoke-cache.ts):
 * the same files, already loaded, so a one-shot invoke does not parse them again.
 */
export interface CompiledProject {
  root: string;
  /** durable.config.ts's default export, not yet validated. */
  config: unknown;
  runtime: RuntimeModule;
  local: LocalAdapterModule;
  /** Each actor file's module, by absolute path. */
  actors: Record<string, Record<string, unknown>>;
}

let compiled: CompiledProject | undefined;

/** Called by the compiled bundle as it loads: openProject on that root uses its modules. */
export function useCompiledProject(project: CompiledProject): void {
  compiled = project;
}

export async function openProject(cwd: string): Promise<Project> {
  const root = findProjectRoot(cwd);
  let pre = compiled?.root === root ? compiled : undefined;
  const config = pre ? validateConfig(pre.config) : await loadConfig(root);
  const runtimeDir = join(root, "durable");
  if (!existsSync(join(runtimeDir, "index.ts"))) {
    throw new ConfigError(
      `${relative(cwd, runtimeDir) || "durable"}/index.ts is missing`,
      "the runtime copy is part of the project; re-create it with durable init",
    );
  }
  let generation = 0;
  const actorFiles = () => collectActorFiles(root, config.actors);
  // All of a project's modules come from the bundle or none do: an actor file it lacks would run on
  // the runtime from source, a second module graph. (The cache's check of the folders rules it out.)
  if (pre && !sameFiles(actorFiles(), Object.keys(pre.actors))) pre = undefined;
  const runtime = pre?.runtime ?? ((await import(join(runtimeDir, "index.ts"))) as RuntimeModule);
  const local =
    pre?.local ?? ((await import(join(runtimeDir, "adapters", "local", "index.ts"))) as LocalAdapterModule);
  return {
    root,
    config,
    dbPath: join(root, ".durable", "local.db"),
    runtime,
    local,
    actorFiles,
    async loadActors(fresh = false) {
      const suffix = fresh ? `?reload=${++generation}` : "";
      const found: AnyActorDefinition[] = [];
      for (const file of actorFiles()) {
        let mod: Record<string, unknown>;
        try {
          mod =
            (!fresh && pre?.actors[file]) || ((await import(`${file}${suffix}`)) as Record<string, unknown>);
        } catch (cause) {
          throw new ConfigError(
            `${relative(root, file)} failed to load: ${(cause as Error).message}`,
            "fix the error in that file",
          );
        }
        for (const value of Object.values(mod))
          if (runtime.isActorDefinition(value) && !found.includes(value)) found.push(value);
      }
      if (found.length === 0) {
        throw new ConfigError(
          "no actors found",
          `export actor(...) definitions from the files in: ${config.actors.join(", ")}`,
        );
      }
      return found;
    },
  };
}

function sameFiles(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((file) => b.includes(file));
}

function collectActorFiles(root: string, entries: readonly string[]): string[] {
  const files: string[] = [];
  for (const entry of entries) {
    const path = resolve(root, entry);
    if (!existsSync(path))
      throw new ConfigError(`actors entry "${entry}" does not exist`, "fix `actors` in durable.config.ts");
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) {
        if (/\.(ts|js|mts|mjs)$/.test(name) && !/\.(test|spec)\./.test(name)) files.push(join(path, name));
      }
    } else files.push(path);
  }
  return files;
}
