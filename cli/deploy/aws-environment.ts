import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import {
  CredentialsRejectedError,
  firstLineOf,
  MissingCredentialsError,
  MissingRegionError,
} from "./errors.ts";

export type EnvSource = Readonly<Record<string, string | undefined>>;

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * Where and as whom the CLI talks to AWS, read from the command's environment (not process.env,
 * so an injected context is honoured by every SDK client the CLI builds itself).
 */
export interface AwsEnvironment {
  region: string;
  /** AWS_ENDPOINT_URL: an emulator (moto, LocalStack) instead of AWS. */
  endpoint: string | undefined;
  /** Keys from the environment; undefined means the SDK's chain (profile, SSO, web identity, ...). */
  credentials: StaticCredentials | undefined;
  profile: string | undefined;
}

export interface ResolveAwsOptions {
  /** durable.config.ts `aws.region`: a project that pins its region deploys there whatever the shell says. */
  configRegion?: string | undefined;
}

/**
 * Finds credentials and a region without any network call, so a machine without an AWS account
 * gets one clear line instead of an SDK timeout. Accepted sources, as the AWS CLI reads them:
 * access keys, AWS_PROFILE, web identity (EKS, CI OIDC), container credentials (ECS, CodeBuild),
 * or a default profile in the shared files.
 */
export function resolveAwsEnvironment(env: EnvSource, options: ResolveAwsOptions = {}): AwsEnvironment {
  const profile = nonEmpty(env.AWS_PROFILE);
  const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  const sessionToken = nonEmpty(env.AWS_SESSION_TOKEN);
  // Keys win over a profile, as in the SDK's own chain.
  const credentials =
    accessKeyId && secretAccessKey
      ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) }
      : undefined;
  const files = sharedFiles(env);
  const chain =
    profile !== undefined ||
    (nonEmpty(env.AWS_WEB_IDENTITY_TOKEN_FILE) !== undefined && nonEmpty(env.AWS_ROLE_ARN) !== undefined) ||
    nonEmpty(env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) !== undefined ||
    nonEmpty(env.AWS_CONTAINER_CREDENTIALS_FULL_URI) !== undefined ||
    hasSection(files.credentials, "default") ||
    hasSection(files.config, "default");
  const region =
    nonEmpty(options.configRegion) ??
    nonEmpty(env.AWS_REGION) ??
    nonEmpty(env.AWS_DEFAULT_REGION) ??
    profileRegion(files.config, profile ?? "default");
  if (!credentials && !chain) throw new MissingCredentialsError(!region);
  if (!region) throw new MissingRegionError();
  return {
    region,
    endpoint: nonEmpty(env.AWS_ENDPOINT_URL),
    credentials,
    profile: credentials ? undefined : profile,
  };
}

export interface SdkClientConfig {
  region: string;
  endpoint?: string;
  credentials?: StaticCredentials;
  profile?: string;
}

/** Settings for an SDK v3 client built by the CLI (Lambda, SQS, DynamoDB, STS, CloudFormation). */
export function sdkClientConfig(aws: AwsEnvironment): SdkClientConfig {
  return {
    region: aws.region,
    ...(aws.endpoint ? { endpoint: aws.endpoint } : {}),
    ...(aws.credentials ? { credentials: aws.credentials } : {}),
    ...(aws.profile ? { profile: aws.profile } : {}),
  };
}

/** Proves the credentials work and names the account (bootstrap and the stack are pinned to it). */
export async function callerAccount(aws: AwsEnvironment): Promise<string> {
  const sts = new STSClient({ ...sdkClientConfig(aws), maxAttempts: 2 });
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    if (!identity.Account) throw new Error("STS returned no account");
    return identity.Account;
  } catch (error) {
    throw new CredentialsRejectedError(firstLineOf(error), error);
  } finally {
    sts.destroy();
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function sharedFiles(env: EnvSource): { credentials: string; config: string } {
  const home = nonEmpty(env.HOME) ?? nonEmpty(env.USERPROFILE);
  const read = (path: string | undefined) => (path && existsSync(path) ? readFileSync(path, "utf8") : "");
  return {
    credentials: read(
      nonEmpty(env.AWS_SHARED_CREDENTIALS_FILE) ?? (home && join(home, ".aws", "credentials")),
    ),
    config: read(nonEmpty(env.AWS_CONFIG_FILE) ?? (home && join(home, ".aws", "config"))),
  };
}

/** Sections of an AWS INI file: `[default]`, `[name]` or `[profile name]`. */
function sections(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, "").trim();
    const header = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (header?.[1]) {
      current = out.get(header[1]) ?? new Map();
      out.set(header[1], current);
      continue;
    }
    const pair = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (current && pair?.[1]) current.set(pair[1], pair[2] ?? "");
  }
  return out;
}

function hasSection(text: string, name: string): boolean {
  return sections(text).has(name);
}

function profileRegion(config: string, profile: string): string | undefined {
  return nonEmpty(sections(config).get(profile)?.get("region"));
}
