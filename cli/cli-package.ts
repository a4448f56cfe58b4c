import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CliError } from "./errors.ts";
import type { Shell } from "./shell.ts";
import { PACKAGE_ROOT } from "./templates.ts";

/** Where a generated project keeps the CLI's tarball when the CLI did not come from a registry. */
export const VENDOR_DIR = "vendor";

interface PackageJson {
  name: string;
  version: string;
}

/**
 * The dependency a new project declares on this CLI, so the project stands alone: copied or
 * moved anywhere, `npm install` gives it `durable` and Bun. Installed from a registry, that is a
 * version range. From anything else (a checkout, a tarball, a link) the CLI is packed into the
 * project's vendor/ folder and depended on by that relative path; a `file:` link to the checkout
 * broke as soon as the project or the checkout moved.
 * @example await cliDependency("/tmp/my-app", bunShell) // "file:vendor/durable-lambda-0.1.0.tgz"
 */
export async function cliDependency(projectDir: string, shell: Shell): Promise<string> {
  const own = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as PackageJson;
  if (installedFromRegistry(PACKAGE_ROOT, own.name)) return `^${own.version}`;
  const vendor = join(projectDir, VENDOR_DIR);
  mkdirSync(vendor, { recursive: true });
  const packed = await shell
    .run(["npm", "pack", "--json", "--ignore-scripts", "--pack-destination", vendor, PACKAGE_ROOT], {
      cwd: projectDir,
    })
    .catch((error: Error) => ({ exitCode: 1, stdout: "", stderr: error.message }));
  const filename = packed.exitCode === 0 ? packedFilename(packed.stdout) : undefined;
  if (!filename || !existsSync(join(vendor, filename))) {
    throw new CliError(
      "PACK_FAILED",
      `could not pack the durable CLI into ${VENDOR_DIR}/: ${lastLine(packed.stderr) || "npm pack printed no file name"}`,
      { hint: "check that npm works (npm --version), then run durable init again" },
    );
  }
  return `file:${VENDOR_DIR}/${filename}`;
}

/**
 * True when the package at `root` sits in a node_modules tree whose lockfile says it was
 * downloaded (resolved to an http(s) URL) rather than packed or linked.
 */
export function installedFromRegistry(root: string, name: string): boolean {
  const at = root.indexOf("/node_modules/");
  if (at === -1) return false;
  const lockfile = join(root.slice(0, at), "node_modules", ".package-lock.json");
  try {
    const lock = JSON.parse(readFileSync(lockfile, "utf8")) as {
      packages?: Record<string, { resolved?: string }>;
    };
    const key = root.slice(at + 1);
    const resolved = lock.packages?.[key]?.resolved ?? "";
    return key.endsWith(`node_modules/${name}`) && /^https?:\/\//.test(resolved);
  } catch {
    return false;
  }
}

function packedFilename(stdout: string): string | undefined {
  try {
    const [first] = JSON.parse(stdout) as { filename?: string }[];
    return first?.filename;
  } catch {
    return undefined;
  }
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}
