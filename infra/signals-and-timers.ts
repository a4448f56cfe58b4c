import { Aws, Duration, type RemovalPolicy } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { SIGNAL_SOURCE } from "../runtime/adapters/aws/config.ts";
import type { FabricNames } from "./names.ts";

export interface FabricSignalsProps {
  names: FabricNames;
  functions: readonly lambda.Function[];
  /** Where undeliverable and failed signals go (FabricQueues.signalDlq). */
  dlq: sqs.IQueue;
}

/** EventBridge's own retries of a failed delivery to Lambda (throttling, a missing permission). */
const SIGNAL_DELIVERY_RETRIES = 8;
/** A signal older than this is not delivered any more; it goes to the DLQ instead. */
const SIGNAL_MAX_AGE = Duration.hours(24);

/**
 * The signal bus and the rule that delivers actor signals to the fabric's functions. A signal is
 * an asynchronous Lambda invoke, so it can fail twice over: EventBridge cannot deliver it (its
 * retry policy, then the target DLQ), or the function fails on it (Lambda's two async retries,
 * then the function's DLQ). Both land in the one signal DLQ with the event as the body.
 */
export class FabricSignals extends Construct {
  readonly bus: events.EventBus;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: FabricSignalsProps) {
    super(scope, id);
    const { names } = props;
    this.bus = new events.EventBus(this, "Bus", { eventBusName: names.bus });

    // The rule names the bus as a literal string plus an explicit dependency: moto's
    // CloudFormation crashes on a Rule whose EventBusName is a Ref to the bus.
    const busByName = events.EventBus.fromEventBusName(this, "BusByName", names.bus);
    this.rule = new events.Rule(this, "SignalRule", {
      ruleName: names.signalRule,
      eventBus: busByName,
      eventPattern: { source: [SIGNAL_SOURCE] },
      description: "Routes signals published by actors to the Durable fabric's functions.",
    });
    this.rule.node.addDependency(this.bus);
    for (const fn of props.functions) {
      this.rule.addTarget(
        new targets.LambdaFunction(fn, {
          deadLetterQueue: props.dlq,
          retryAttempts: SIGNAL_DELIVERY_RETRIES,
          maxEventAge: SIGNAL_MAX_AGE,
        }),
      );
      deadLetterAsyncInvokes(fn, props.dlq);
    }
  }
}

/**
 * Signals are the only asynchronous invokes of a fabric function (queues are polled, `durable
 * invoke` waits for its answer), so its async DLQ is the signal DLQ. A function that already has a
 * DLQ of its own keeps it. Set on the L1 because a Function takes its DLQ only at construction.
 */
function deadLetterAsyncInvokes(fn: lambda.Function, dlq: sqs.IQueue): void {
  if (fn.deadLetterQueue) return;
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  if (cfn.deadLetterConfig) return;
  cfn.deadLetterConfig = { targetArn: dlq.queueArn };
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: "DeadLetterSignals",
      actions: ["sqs:SendMessage"],
      resources: [dlq.queueArn],
    }),
  );
}

export interface FabricTimersProps {
  names: FabricNames;
  removalPolicy: RemovalPolicy;
  queue: sqs.IQueue;
  timerDlq: sqs.IQueue;
}

/**
 * What far timers need: the schedule group the adapter creates one-time `at()` schedules in, and
 * the role Scheduler assumes to deliver them to the actor queue (and to its DLQ on failure).
 */
export class FabricTimers extends Construct {
  readonly scheduleGroup: scheduler.ScheduleGroup;
  readonly schedulerRole: iam.Role;

  constructor(scope: Construct, id: string, props: FabricTimersProps) {
    super(scope, id);
    const { names } = props;
    // Deleting a group deletes its pending schedules, so it follows the stage's removal policy.
    this.scheduleGroup = new scheduler.ScheduleGroup(this, "Group", {
      scheduleGroupName: names.scheduleGroup,
      removalPolicy: props.removalPolicy,
    });

    // SourceAccount guards against the confused deputy: only this account's schedules use it.
    // Pending schedules name this role, so it lives as long as the group (kept with a kept stage),
    // under a fixed name, with its policy inline: one resource a redeploy can adopt.
    this.schedulerRole = new iam.Role(this, "SchedulerRole", {
      roleName: names.schedulerRole,
      assumedBy: new iam.ServicePrincipal("scheduler.amazonaws.com", {
        conditions: { StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID } },
      }),
      description: "Assumed by EventBridge Scheduler to deliver Durable timers to the actor queue.",
      inlinePolicies: {
        DeliverTimers: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: "DeliverTimers",
              actions: ["sqs:SendMessage"],
              resources: [props.queue.queueArn, props.timerDlq.queueArn],
            }),
          ],
        }),
      },
    });
    this.schedulerRole.applyRemovalPolicy(props.removalPolicy);
  }
}
