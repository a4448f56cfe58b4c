import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type * as LocalAdapter from "../runtime/adapters/local/index.ts";
import type { AnyActorDefinition } from "../runtime/core/actor.ts";
import type * as Runtime from "../runtime/index.ts";
import { findProjectRoot, loadConfig, type ResolvedConfig } from "./config.ts";
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

export async function openProject(cwd: string): Promise<Project> {
  const root = findProjectRoot(cwd);
  const config = await loadConfig(root);
  const runtimeDir = join(root, "durable");
  if (!existsSync(join(runtimeDir, "index.ts"))) {
    throw new ConfigError(
      `${relative(cwd, runtimeDir) || "durable"}/index.ts is missing`,
      "the runtime copy is part of the project; re-create it with durable init",
    );
  }
  const runtime = (await import(join(runtimeDir, "index.ts"))) as RuntimeModule;
  const local = (await import(join(runtimeDir, "adapters", "local", "index.ts"))) as LocalAdapterModule;
  let generation = 0;
  const actorFiles = () => collectActorFiles(root, config.actors);
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
          mod = (await import(`${file}${suffix}`)) as Record<string, unknown>;
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
