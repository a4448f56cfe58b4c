import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveAwsEnvironment, sdkClientConfig } from "../../cli/deploy/aws-environment.ts";
import { MissingCredentialsError, MissingRegionError } from "../../cli/deploy/errors.ts";
import { assertStageName, isDevStage } from "../../cli/deploy/stages.ts";

function withHome(files: Record<string, string> = {}): { home: string } & Disposable {
  const home = mkdtempSync(join(tmpdir(), "durable-home-"));
  mkdirSync(join(home, ".aws"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(home, ".aws", name), text);
  return { home, [Symbol.dispose]: () => rmSync(home, { recursive: true, force: true }) };
}

const KEYS = { AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret" };

describe("resolveAwsEnvironment", () => {
  test("an environment without any AWS source fails with the one-line missing-credentials error", () => {
    using h = withHome();
    const resolve = () => resolveAwsEnvironment({ HOME: h.home, AWS_REGION: "eu-west-1" });
    expect(resolve).toThrow(MissingCredentialsError);
    expect(resolve).toThrow("no AWS credentials found");
    try {
      resolve();
    } catch (error) {
      const hint = (error as MissingCredentialsError).hint ?? "";
      for (const name of ["AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "durable dev"])
        expect(hint).toContain(name);
      // The region is set here, so the line does not ask for it.
      expect(hint).not.toContain("AWS_REGION");
    }
    try {
      resolveAwsEnvironment({ HOME: h.home });
    } catch (error) {
      expect((error as MissingCredentialsError).hint).toContain("AWS_REGION");
    }
  });

  test("access keys from the environment are used as static credentials, with the session token", () => {
    using h = withHome();
    const aws = resolveAwsEnvironment({
      HOME: h.home,
      ...KEYS,
      AWS_SESSION_TOKEN: "tok",
      AWS_REGION: "eu-west-1",
    });
    expect(aws.credentials).toEqual({
      accessKeyId: "AKIDEXAMPLE",
      secretAccessKey: "secret",
      sessionToken: "tok",
    });
    expect(aws.profile).toBeUndefined();
  });

  test("AWS_PROFILE is accepted and its region is read from the shared config file", () => {
    using h = withHome({ config: "[default]\nregion = us-east-2\n[profile work]\nregion = ap-south-1\n" });
    const aws = resolveAwsEnvironment({ HOME: h.home, AWS_PROFILE: "work" });
    expect(aws).toMatchObject({ profile: "work", region: "ap-south-1", credentials: undefined });
  });

  test("a default profile in ~/.aws/credentials counts as credentials, as the AWS CLI reads it", () => {
    using h = withHome({ credentials: "[default]\naws_access_key_id = x\naws_secret_access_key = y\n" });
    expect(resolveAwsEnvironment({ HOME: h.home, AWS_DEFAULT_REGION: "sa-east-1" }).region).toBe("sa-east-1");
  });

  test("the region in durable.config.ts wins over AWS_REGION, which wins over AWS_DEFAULT_REGION", () => {
    using h = withHome();
    const env = { HOME: h.home, ...KEYS, AWS_REGION: "eu-west-1", AWS_DEFAULT_REGION: "us-west-2" };
    expect(resolveAwsEnvironment(env, { configRegion: "eu-central-1" }).region).toBe("eu-central-1");
    expect(resolveAwsEnvironment(env).region).toBe("eu-west-1");
    expect(resolveAwsEnvironment({ ...env, AWS_REGION: "" }).region).toBe("us-west-2");
  });

  test("credentials without any region fail with the missing-region error naming AWS_REGION", () => {
    using h = withHome();
    const resolve = () => resolveAwsEnvironment({ HOME: h.home, ...KEYS });
    expect(resolve).toThrow(MissingRegionError);
    try {
      resolve();
    } catch (error) {
      expect((error as MissingRegionError).hint).toContain("AWS_REGION");
    }
  });

  test("AWS_ENDPOINT_URL reaches every SDK client the CLI builds", () => {
    using h = withHome();
    const aws = resolveAwsEnvironment({
      HOME: h.home,
      ...KEYS,
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL: "http://localhost:4566",
    });
    expect(sdkClientConfig(aws)).toEqual({
      region: "us-east-1",
      endpoint: "http://localhost:4566",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    });
  });
});

describe("stages", () => {
  test("stage names are lowercase, start with a letter and are at most 31 characters", () => {
    for (const ok of ["dev", "prod", "pr-42", "a", `a${"b".repeat(30)}`])
      expect(() => assertStageName(ok)).not.toThrow();
    for (const bad of ["", "Dev", "1dev", "dev_1", "dev.1", `a${"b".repeat(31)}`, "dev 1"])
      expect(() => assertStageName(bad)).toThrow("invalid stage name");
  });

  test("dev, test and pr stages (and their -suffixed forms) are disposable; prod and staging keep their data", () => {
    for (const dev of ["dev", "dev-alice", "test", "test-ci-7", "pr", "pr-42"])
      expect([dev, isDevStage(dev)]).toEqual([dev, true]);
    for (const kept of ["prod", "staging", "developer", "testing", "prod-dev", "pr42"])
      expect([kept, isDevStage(kept)]).toEqual([kept, false]);
  });
});
