import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { App, ArnFormat, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import { DEFAULTS } from "../runtime/adapters/aws/config.ts";
import { alarmTopic } from "./alarm-topic.ts";
import { DurableFabric } from "./durable-fabric.ts";
import { FabricConfigError, MissingBundleError } from "./errors.ts";
import { acknowledge, wildcardResourceRule } from "./nag.ts";
import { fabricNames, validatePrefix } from "./names.ts";

/** Where `durable build` writes the Lambda bundle, relative to the project. */
export const DEFAULT_BUILD_DIR = ".durable/build";

export interface FabricAppOptions {
  /** The project's name, e.g. "MyApp"; the stack is `<prefix>-<stage>`. */
  prefix: string;
  stage: string;
  /** Directory holding the bundled `index.js` (exports `handler`), usually DEFAULT_BUILD_DIR. */
  codeDir: string;
  /** A dev stage is destroyed with its data by `durable destroy`; others keep tables and queues. */
  devStage?: boolean;
  /** @default 512 */
  memoryMb?: number;
  /** @default DEFAULTS.functionTimeoutSeconds */
  timeoutSeconds?: number;
  /** @default "arm64" */
  architecture?: "arm64" | "x86_64";
  /** Per event source mapping. @default 10 */
  maxConcurrency?: number;
  /** X-Ray active tracing of the function. @default false */
  tracing?: boolean;
  /** Where every alarm notifies: an SNS topic ARN, or an email address (a topic is created). @default none */
  alarms?: string;
  /** Extra environment variables for the function (the fabric's own are injected). */
  environment?: Readonly<Record<string, string>>;
  /** Pin the stack to an account/region; omitted, the stack is environment-agnostic. */
  account?: string;
  region?: string;
  /** Where the cloud assembly is written. @default a temp dir chosen by the CDK */
  outdir?: string;
}

export interface FabricApp {
  app: App;
  stack: Stack;
  stackName: string;
  fabric: DurableFabric;
  handler: lambda.Function;
}

/**
 * The app `durable deploy` synthesizes: one Lambda running the bundled actors plus the fabric.
 * Needs no AWS credentials: no lookups, and the stack is environment-agnostic unless pinned.
 */
export function buildFabricApp(options: FabricAppOptions): FabricApp {
  const stackName = `${options.prefix}-${options.stage}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(options.stage)) {
    throw new FabricConfigError(`Invalid stage "${options.stage}".`, {
      hint: "Use letters, digits and hyphens (e.g. dev, prod, pr-42).",
    });
  }
  validatePrefix(stackName);
  const codeDir = resolve(options.codeDir);
  if (!["index.js", "index.mjs", "index.cjs"].some((file) => existsSync(join(codeDir, file)))) {
    throw new MissingBundleError(`No Lambda bundle (index.js) in ${codeDir}.`, {
      hint: "Run `durable build` first.",
    });
  }

  // Template validation costs seconds per synth and `durable deploy` validates by deploying.
  const app = new App({
    builtinCloudFormationValidation: false,
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const env =
    options.account || options.region ? { account: options.account, region: options.region } : undefined;
  const stack = new Stack(app, stackName, {
    stackName,
    // No AWS::CDK::Metadata: it is region-conditional noise and nothing reads it.
    analyticsReporting: false,
    description: `Durable Lambda fabric ${stackName}`,
    ...(env ? { env } : {}),
  });

  const devStage = options.devStage ?? false;
  const functionName = `${stackName}-handler`;
  // An explicit log group so a dev stage's logs go with it and others keep a bounded history.
  const logGroup = new logs.LogGroup(stack, "HandlerLogs", {
    logGroupName: `/aws/lambda/${functionName}`,
    retention: devStage ? logs.RetentionDays.ONE_WEEK : logs.RetentionDays.ONE_MONTH,
    removalPolicy: devStage ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  });
  const role = handlerRole(stack, functionName);
  const tracing = options.tracing ?? false;
  const handler = new lambda.Function(stack, "Handler", {
    functionName,
    role,
    tracing: tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: options.architecture === "x86_64" ? lambda.Architecture.X86_64 : lambda.Architecture.ARM_64,
    handler: "index.handler",
    code: lambda.Code.fromAsset(codeDir),
    memorySize: options.memoryMb ?? 512,
    timeout: Duration.seconds(options.timeoutSeconds ?? DEFAULTS.functionTimeoutSeconds),
    logGroup,
    ...(options.environment ? { environment: { ...options.environment } } : {}),
  });
  acknowledge(
    handler,
    ["AwsSolutions-L1", "Serverless-LambdaLatestVersion"],
    "Pinned to nodejs22.x, the runtime the bundle is built for (bun build --target=node) and tested on; a runtime upgrade is a deliberate change, not a lint fix.",
  );
  if (tracing) {
    acknowledge(
      role,
      ["AwsSolutions-IAM5[Resource::*]"],
      "X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions (the CDK grants them for active tracing).",
    );
  } else {
    acknowledge(
      handler,
      ["Serverless-LambdaTracing"],
      "X-Ray is opt-in with aws.tracing in durable.config.ts: each trace costs money and the runtime's own turn logs and metrics cover a turn.",
    );
  }

  const alarmActions = options.alarms
    ? [new SnsAction(alarmTopic(stack, options.alarms, fabricNames(stackName).alarmTopic))]
    : [];
  const fabric = new DurableFabric(stack, "DurableFabric", {
    lambdas: [handler],
    prefix: stackName,
    devStage,
    alarmActions,
    ...(options.maxConcurrency === undefined ? {} : { maxConcurrency: options.maxConcurrency }),
  });
  return { app, stack, stackName, fabric, handler };
}

/**
 * The function's role with an inline logs policy scoped to its own log group, instead of the
 * AWSLambdaBasicExecutionRole managed policy (logs:* on every log group in the account). The log
 * group exists before the function (an explicit resource), so CreateLogGroup is not needed.
 */
function handlerRole(stack: Stack, functionName: string): iam.Role {
  const logStreams = stack.formatArn({
    service: "logs",
    resource: "log-group",
    resourceName: `/aws/lambda/${functionName}:log-stream:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  const role = new iam.Role(stack, "HandlerRole", {
    assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
    description: `Runs ${functionName}: its own logs plus what the Durable fabric grants.`,
    inlinePolicies: {
      Logs: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            sid: "OwnLogStreams",
            actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
            resources: [logStreams],
          }),
        ],
      }),
    },
  });
  acknowledge(
    role,
    [wildcardResourceRule(stack, logStreams)],
    "Lambda names a log stream per execution environment at run time; the wildcard covers only the streams of this function's log group.",
  );
  return role;
}

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown }>;
  [section: string]: unknown;
}

export interface FabricResourceSummary {
  type: string;
  logicalId: string;
}

export interface FabricSynthResult {
  stackName: string;
  /** The cloud assembly directory (toolkit-lib can deploy it with `fromAssemblyDirectory`). */
  outdir: string;
  templatePath: string;
  template: CfnTemplate;
  resources: FabricResourceSummary[];
}

/**
 * Synthesizes the fabric app in process, for `durable deploy --dry-run` and before a deploy.
 * Template validation is off (see buildFabricApp), which keeps this well under a second warm.
 */
export function synthFabricApp(options: FabricAppOptions & { outdir: string }): FabricSynthResult {
  const { app, stackName } = buildFabricApp(options);
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stackName);
  const template = artifact.template as CfnTemplate;
  const resources = Object.entries(template.Resources)
    .map(([logicalId, resource]) => ({ type: resource.Type, logicalId }))
    // Code-unit order, not locale order, so the --dry-run listing is identical on every machine.
    .sort((a, b) => compare(a.type, b.type) || compare(a.logicalId, b.logicalId));
  return {
    stackName,
    outdir: assembly.directory,
    templatePath: artifact.templateFullPath,
    template,
    resources,
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
