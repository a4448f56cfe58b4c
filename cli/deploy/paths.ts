import { join } from "node:path";
import type { Project } from "../project.ts";

/**
 * Where build, deploy and destroy keep their files inside a project's .durable folder. Kept apart
 * from synth.ts so `durable build` never loads the CDK.
 */

/**
 * The folder Lambda gets as its code: only the bundle. bundleProject writes its generated entry
 * next to it in .durable/build, which keeps that file out of the upload and its asset hash.
 * (infra's DEFAULT_BUILD_DIR names the same .durable/build.)
 */
export function functionDir(project: Project): string {
  return join(project.root, ".durable", "build", "function");
}

/** One cloud assembly per stage, so deploying two stages from one checkout never mixes them. */
export function assemblyDir(project: Project, stage: string): string {
  return join(project.root, ".durable", "cdk.out", stage);
}
