import { expect, test } from "bun:test";
import { join } from "node:path";
import { REPO_ROOT } from "../support/cli-process.ts";

test("flake.nix parses and its dev shell names Bun, Node.js 22, Java 17, the AWS CLI, Biome and Chromium", () => {
  const parse = Bun.spawnSync({
    cmd: ["nix-instantiate", "--parse", join(REPO_ROOT, "flake.nix")],
    stderr: "pipe",
  });
  // .ci/run installs nix-bin (Debian) when nix-instantiate is missing.
  expect(
    parse.exitCode,
    parse.stderr.toString() || "nix-instantiate not found: apt-get install nix-bin",
  ).toBe(0);
  const parsed = parse.stdout.toString();
  for (const pkg of ["bun", "nodejs_22", "jdk17_headless", "awscli2", "biome", "chromium"])
    expect(parsed).toContain(`(pkgs).${pkg}`);
});
