import {
  BaseCredentials,
  BootstrapEnvironments,
  type IIoHost,
  type IoMessage,
  type IoRequest,
  type StackActivity,
  StackSelectionStrategy,
  Toolkit,
} from "@aws-cdk/toolkit-lib";
import { App, Stack } from "aws-cdk-lib";
import type { Spinner } from "../output.ts";
import type { AwsEnvironment, EnvSource } from "./aws-environment.ts";
import { firstLineOf } from "./errors.ts";

/**
 * Turns the toolkit's message stream into the CLI's progress: stack events move the current
 * spinner, failed resources and errors are kept to explain a failure in one line. Everything
 * else (asset publishing chatter, SDK debug lines) stays quiet; the toolkit asks no questions the
 * CLI has not already asked, so every request gets its default answer.
 */
export class ProgressIoHost implements IIoHost {
  spinner: Spinner | undefined;
  readonly failedResources: string[] = [];
  readonly errors: string[] = [];

  async notify(msg: IoMessage<unknown>): Promise<void> {
    if (msg.code === "CDK_TOOLKIT_I5502") this.#activity(msg.data as StackActivity);
    else if (msg.level === "error") this.errors.push(firstLineOf(msg.message));
  }

  async requestResponse<T>(msg: IoRequest<unknown, T>): Promise<T> {
    return msg.defaultResponse;
  }

  /** Why an operation failed: the first resource that failed, else the toolkit's first error. */
  reason(error: unknown): string {
    return this.failedResources[0] ?? this.errors[0] ?? firstLineOf(error);
  }

  #activity(activity: StackActivity): void {
    const { event, progress } = activity;
    const status = event.ResourceStatus ?? "";
    const what = `${event.ResourceType ?? ""} ${event.LogicalResourceId ?? ""}`.trim();
    this.spinner?.update(`${event.StackName ?? ""} ${progress.formatted} ${status} ${what}`.trim());
    const reason = event.ResourceStatusReason ?? "";
    // CloudFormation cancels every sibling of the resource that really failed; those say nothing.
    if (status.endsWith("_FAILED") && reason && !/cancelled/i.test(reason)) {
      this.failedResources.push(
        `${event.LogicalResourceId ?? "?"} (${event.ResourceType ?? "?"}): ${reason}`,
      );
    }
  }
}

export interface ToolkitSession {
  toolkit: Toolkit;
  host: ProgressIoHost;
}

/**
 * A toolkit acting as the resolved identity. toolkit-lib's SDK clients take their endpoint only
 * from process.env (AWS_ENDPOINT_URL), so a context that names another endpoint is refused rather
 * than silently deploying to real AWS.
 */
export function createToolkit(aws: AwsEnvironment, processEnv: EnvSource = process.env): ToolkitSession {
  if ((processEnv.AWS_ENDPOINT_URL?.trim() || undefined) !== aws.endpoint) {
    throw new Error(
      `the CLI context's AWS_ENDPOINT_URL (${aws.endpoint ?? "unset"}) differs from the process's (${processEnv.AWS_ENDPOINT_URL ?? "unset"}); toolkit-lib reads only the process's`,
    );
  }
  const host = new ProgressIoHost();
  const { credentials } = aws;
  const baseCredentials = credentials
    ? BaseCredentials.custom({ provider: async () => credentials, region: aws.region })
    : BaseCredentials.awsCliCompatible({
        ...(aws.profile ? { profile: aws.profile } : {}),
        defaultRegion: aws.region,
      });
  const toolkit = new Toolkit({ ioHost: host, color: false, emojis: false, sdkConfig: { baseCredentials } });
  return { toolkit, host };
}

/**
 * How often stack events are polled. On AWS a resource takes seconds to minutes and each poll is an
 * API call; an emulator endpoint finishes at once, so the toolkit's 2 s default would be most of
 * the wait there.
 */
export function pollIntervalMs(aws: AwsEnvironment): number {
  return aws.endpoint ? 100 : 1000;
}

export function selectStack(stackName: string) {
  return { strategy: StackSelectionStrategy.PATTERN_MUST_MATCH_SINGLE, patterns: [stackName] };
}

export async function bootstrapEnvironment(
  session: ToolkitSession,
  account: string,
  region: string,
): Promise<void> {
  await session.toolkit.bootstrap(BootstrapEnvironments.fromList([`aws://${account}/${region}`]), {});
}

export async function deployAssembly(
  session: ToolkitSession,
  aws: AwsEnvironment,
  assemblyDir: string,
  stackName: string,
): Promise<Record<string, string>> {
  const cx = await session.toolkit.fromAssemblyDirectory(assemblyDir);
  const result = await session.toolkit.deploy(cx, {
    stacks: selectStack(stackName),
    // CreateStack/UpdateStack without a change set: one review step fewer (durable owns the whole
    // stack) and emulators such as moto record stack outputs only for direct deployments.
    deploymentMethod: { method: "direct" },
    stackEventPollingInterval: pollIntervalMs(aws),
  });
  const stack = result.stacks.find((s) => s.stackName === stackName);
  if (!stack) throw new Error(`the toolkit deployed no stack named ${stackName}`);
  return stack.outputs;
}

/**
 * Deletes the stack by name. The toolkit destroys from a cloud assembly; an empty stack with the
 * same name and environment is enough (it names the stack and the bootstrap roles), so destroying
 * needs neither a build nor the assembly of the last deploy.
 */
export async function destroyStack(
  session: ToolkitSession,
  aws: AwsEnvironment,
  stackName: string,
  account: string,
): Promise<{ existed: boolean }> {
  const cx = await session.toolkit.fromAssemblyBuilder(async ({ outdir }) => {
    const app = new App({ builtinCloudFormationValidation: false, ...(outdir ? { outdir } : {}) });
    new Stack(app, stackName, { stackName, analyticsReporting: false, env: { account, region: aws.region } });
    return app.synth();
  });
  const result = await session.toolkit.destroy(cx, {
    stacks: selectStack(stackName),
    stackEventPollingInterval: pollIntervalMs(aws),
  });
  return { existed: result.stacks.some((s) => s.stackName === stackName && s.stackExisted) };
}
