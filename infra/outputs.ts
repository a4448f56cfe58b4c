import { CfnOutput } from "aws-cdk-lib";
import type { Construct } from "constructs";

/**
 * Stack output keys the CLI reads after `durable deploy`. Logical ids are pinned (not derived
 * from the construct path) so the keys are stable; hence one DurableFabric per stack.
 */
export const FABRIC_OUTPUTS = {
  region: "DurableRegion",
  prefix: "DurablePrefix",
  stateTable: "DurableStateTable",
  locksTable: "DurableLocksTable",
  workflowsTable: "DurableWorkflowsTable",
  stateBucket: "DurableStateBucket",
  queueUrl: "DurableQueueUrl",
  queueArn: "DurableQueueArn",
  queueDlqUrl: "DurableQueueDlqUrl",
  delayQueueUrl: "DurableDelayQueueUrl",
  timerDlqUrl: "DurableTimerDlqUrl",
  signalDlqUrl: "DurableSignalDlqUrl",
  busName: "DurableBusName",
  scheduleGroup: "DurableScheduleGroup",
  schedulerRoleArn: "DurableSchedulerRoleArn",
  /** Comma-separated, in the order of the `lambdas` prop. */
  functionNames: "DurableFunctionNames",
} as const;

export type FabricOutputKey = (typeof FABRIC_OUTPUTS)[keyof typeof FABRIC_OUTPUTS];

export type FabricOutputValues = Record<keyof typeof FABRIC_OUTPUTS, string>;

export function addFabricOutputs(scope: Construct, values: FabricOutputValues): void {
  for (const [field, key] of Object.entries(FABRIC_OUTPUTS) as [
    keyof typeof FABRIC_OUTPUTS,
    FabricOutputKey,
  ][]) {
    const output = new CfnOutput(scope, key, { value: values[field] });
    output.overrideLogicalId(key);
  }
}
