import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { gzipSync } from "node:zlib";
import { bundleProject } from "../bundle.ts";
import type { Output } from "../output.ts";
import type { Project } from "../project.ts";
import { functionDir } from "./paths.ts";

export interface BuildSummary {
  outdir: string;
  outfile: string;
  bytes: number;
  /** Roughly what Lambda's zip upload costs. */
  gzipBytes: number;
  buildMs: number;
}

/** Bundles the actors and the Lambda entry into .durable/build/function, with a spinner while bun builds. */
export async function buildProject(project: Project, out: Output): Promise<BuildSummary> {
  const outdir = functionDir(project);
  const spinner = out.spinner("bundling actors for Lambda (node22)");
  const started = performance.now();
  let bundle: Awaited<ReturnType<typeof bundleProject>>;
  try {
    bundle = await bundleProject({ root: project.root, actorFiles: project.actorFiles(), outdir });
  } finally {
    // bundleProject reports the user's mistakes (a bun: import, a syntax error) as CliErrors itself.
    spinner.stop();
  }
  const buildMs = performance.now() - started;
  const gzipBytes = gzipSync(readFileSync(bundle.outfile)).byteLength;
  out.success(`bundled ${relative(project.root, bundle.outfile)} in ${Math.round(buildMs)} ms`);
  return { outdir, outfile: bundle.outfile, bytes: bundle.bytes, gzipBytes, buildMs };
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(2)} MB`;
}
