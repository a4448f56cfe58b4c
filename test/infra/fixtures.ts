import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { type FabricAppOptions, synthFabricApp } from "../../infra/app.ts";

/** A scratch project: a one-file Lambda bundle to use as the code asset, plus an outdir. */
export interface FabricFixture extends Disposable {
  root: string;
  codeDir: string;
  outdir: string;
}

export function fabricFixture(): FabricFixture {
  const root = mkdtempSync(join(tmpdir(), "durable-infra-"));
  const codeDir = join(root, "build");
  mkdirSync(codeDir);
  writeFileSync(join(codeDir, "index.js"), "exports.handler = async () => ({});\n");
  return {
    root,
    codeDir,
    outdir: join(root, "cdk.out"),
    [Symbol.dispose]: () => rmSync(root, { recursive: true, force: true }),
  };
}

export function synthTemplate(
  fixture: FabricFixture,
  options: Partial<FabricAppOptions> = {},
): { template: Template; synthMs: number } {
  const started = performance.now();
  const result = synthFabricApp({
    prefix: "MyApp",
    stage: "dev",
    codeDir: fixture.codeDir,
    outdir: fixture.outdir,
    ...options,
  });
  return { template: Template.fromJSON(result.template), synthMs: performance.now() - started };
}

/** `{"Fn::GetAtt": [id, "Arn"]}` for a resource, matching what the CDK renders. */
export const arnOf = (logicalId: string) => ({ "Fn::GetAtt": [logicalId, "Arn"] });

/** The single logical id of a resource type whose properties match. */
export function logicalId(template: Template, type: string, props: Record<string, unknown>): string {
  const ids = Object.keys(template.findResources(type, { Properties: props }));
  if (ids.length !== 1) throw new Error(`expected one ${type} matching, found ${ids.length}`);
  return ids[0] as string;
}
