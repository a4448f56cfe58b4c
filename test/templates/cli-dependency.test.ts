import { expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { installedFromRegistry } from "../../cli/cli-package.ts";
import { tempDir } from "../support/temp-dir.ts";

/** A node_modules tree whose hidden lockfile (what npm writes) says where durable-lambda came from. */
function tree(root: string, resolved: string | undefined): string {
  const pkg = join(root, "node_modules", "durable-lambda");
  mkdirSync(pkg, { recursive: true });
  const entry =
    resolved === undefined ? {} : { "node_modules/durable-lambda": { version: "0.1.0", resolved } };
  writeFileSync(join(root, "node_modules", ".package-lock.json"), JSON.stringify({ packages: entry }));
  return pkg;
}

// Whether `durable init` writes a version range (a registry install) or packs the CLI into the
// project: a project may only name a registry version when the CLI really came from a registry.
test("a CLI installed from a registry is depended on by version; packed, linked or a checkout, it is packed", async () => {
  await using dir = tempDir("cli-source-");
  const fromRegistry = tree(
    join(dir.path, "a"),
    "https://registry.npmjs.org/durable-lambda/-/durable-lambda-0.1.0.tgz",
  );
  expect(installedFromRegistry(fromRegistry, "durable-lambda")).toBe(true);
  const fromTarball = tree(join(dir.path, "b"), "file:vendor/durable-lambda-0.1.0.tgz");
  expect(installedFromRegistry(fromTarball, "durable-lambda")).toBe(false);
  const unknown = tree(join(dir.path, "c"), undefined);
  expect(installedFromRegistry(unknown, "durable-lambda")).toBe(false);
  expect(installedFromRegistry(join(dir.path, "checkout"), "durable-lambda")).toBe(false);
});
