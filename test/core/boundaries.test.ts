import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith(".ts") ? [path] : [];
  });
}

/** Every module specifier a file imports (static, dynamic and re-exports). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const found: string[] = [];
  for (const m of text.matchAll(
    /(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|import\s+["']([^"']+)["']/g,
  )) {
    found.push(m[1] ?? m[2] ?? m[3] ?? "");
  }
  return found;
}

function offenders(dir: string, banned: (spec: string, file: string) => boolean): string[] {
  return sources(join(ROOT, dir)).flatMap((file) =>
    importsOf(file)
      .filter((spec) => banned(spec, file))
      .map((spec) => `${relative(ROOT, file)} imports ${spec}`),
  );
}

describe("architecture boundaries", () => {
  test("runtime/core imports no adapter, no AWS SDK and nothing from Bun", () => {
    const banned = (spec: string) =>
      spec.includes("adapters/") || spec.startsWith("@aws-sdk") || spec.startsWith("bun");
    expect(offenders("runtime/core", banned)).toEqual([]);
    expect(offenders("runtime/ports", banned)).toEqual([]);
  });

  test("the runtime's public entry does not pull in a backend", () => {
    expect(importsOf(join(ROOT, "runtime/index.ts")).filter((s) => s.includes("adapters/"))).toEqual([]);
  });

  test("the aws adapter, which runs on Lambda's Node, uses no Bun module or API", () => {
    const files = sources(join(ROOT, "runtime/adapters/aws"));
    expect(files.length).toBeGreaterThan(0);
    const bad = files.filter((f) => /\bBun\.|from\s+["']bun(:[a-z]+)?["']/.test(readFileSync(f, "utf8")));
    expect(bad.map((f) => relative(ROOT, f))).toEqual([]);
  });

  test("the local adapter never pulls in the AWS SDK", () => {
    expect(
      offenders(
        "runtime/adapters/local",
        (spec) => spec.startsWith("@aws-sdk") || spec.includes("adapters/aws"),
      ),
    ).toEqual([]);
  });

  test("the check sees imports (it would catch a violation)", () => {
    expect(importsOf(join(ROOT, "runtime/adapters/local/database.ts"))).toContain("bun:sqlite");
  });
});
