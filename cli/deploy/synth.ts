import { rmSync } from "node:fs";
import { type FabricSynthResult, synthFabricApp } from "../../infra/app.ts";
import type { Project } from "../project.ts";
import { assemblyDir, functionDir } from "./paths.ts";
import { isDevStage } from "./stages.ts";

export interface StageSynthOptions {
  stage: string;
  /** Pins the stack to an account and region for a real deploy; a dry run stays environment-agnostic. */
  account?: string;
  region?: string;
}

export interface StageSynth extends FabricSynthResult {
  devStage: boolean;
  synthMs: number;
}

/**
 * Synthesizes the stage's stack in this process (no `cdk` subprocess, no credentials) from the
 * bundle in .durable/build/function and the project's config.
 */
export function synthStage(project: Project, options: StageSynthOptions): StageSynth {
  const outdir = assemblyDir(project, options.stage);
  // Assets of earlier synths would pile up next to the new one.
  rmSync(outdir, { recursive: true, force: true });
  const devStage = isDevStage(options.stage);
  const { aws } = project.config;
  const started = performance.now();
  const result = synthFabricApp({
    prefix: project.config.name,
    stage: options.stage,
    codeDir: functionDir(project),
    outdir,
    devStage,
    memoryMb: aws.memoryMb,
    timeoutSeconds: aws.timeoutSeconds,
    maxConcurrency: aws.maxConcurrency,
    tracing: aws.tracing,
    ...(aws.alarms ? { alarms: aws.alarms } : {}),
    ...(options.account ? { account: options.account } : {}),
    ...(options.region ? { region: options.region } : {}),
  });
  return { ...result, devStage, synthMs: performance.now() - started };
}
