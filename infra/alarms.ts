import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface FabricDlqAlarm {
  /** Name of the depth alarm (one visible message). */
  depthAlarmName: string;
  /** Name of the age alarm (a dead letter nobody acted on). */
  ageAlarmName: string;
  queue: sqs.IQueue;
  /** What a message there means, for the alarm's description. */
  what: string;
}

export interface FabricAlarmsProps {
  dlqs: readonly FabricDlqAlarm[];
  functions: readonly lambda.IFunction[];
  /** Name of the first function's error alarm; later functions get "-2", "-3", … */
  functionErrorsAlarmName: string;
  parked: { alarmName: string; namespace: string; fabric: string };
  actions: readonly cloudwatch.IAlarmAction[];
}

/** The EMF metric the runtime writes when a turn parks actors (its value: how many). */
export const PARKED_METRIC = { name: "ActorsParked", source: "actor-queue" } as const;

/**
 * A dead letter stays in its DLQ for the queue's 14-day retention. The depth alarm fires on the
 * first one; the age alarm fires again when one has waited a day, while there is time to act.
 */
export const DLQ_AGE_ALARM_SECONDS = 24 * 60 * 60;

/**
 * Alarms on everything that needs an operator: a message in any DLQ (and one left there for a day),
 * a parked actor, a function that failed. Each gets every action in `actions`.
 */
export class FabricAlarms extends Construct {
  readonly dlqAlarms: cloudwatch.Alarm[] = [];
  readonly dlqAgeAlarms: cloudwatch.Alarm[] = [];
  readonly functionErrorAlarms: cloudwatch.Alarm[] = [];
  readonly parkedAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: FabricAlarmsProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const common = {
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // An idle queue or function publishes no data points; that is healthy, not unknown.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    };

    props.dlqs.forEach((dlq, i) => {
      this.dlqAlarms.push(
        new cloudwatch.Alarm(this, `DlqDepth${i}`, {
          ...common,
          threshold: 1,
          alarmName: dlq.depthAlarmName,
          alarmDescription: `Messages in ${dlq.what}. See "An alarm fired" in docs/monitoring.md.`,
          metric: dlq.queue.metricApproximateNumberOfMessagesVisible({ period, statistic: "Maximum" }),
        }),
      );
      this.dlqAgeAlarms.push(
        new cloudwatch.Alarm(this, `DlqAge${i}`, {
          ...common,
          threshold: DLQ_AGE_ALARM_SECONDS,
          alarmName: dlq.ageAlarmName,
          alarmDescription: `A message has waited a day in ${dlq.what}; it expires 14 days after it arrived.`,
          metric: dlq.queue.metricApproximateAgeOfOldestMessage({ period, statistic: "Maximum" }),
        }),
      );
    });

    this.parkedAlarm = new cloudwatch.Alarm(this, "ActorsParked", {
      ...common,
      threshold: 1,
      alarmName: props.parked.alarmName,
      alarmDescription:
        "An actor was parked: one of its messages failed on every delivery and went to the actor DLQ; its later messages wait until an operator unparks it.",
      metric: new cloudwatch.Metric({
        namespace: props.parked.namespace,
        metricName: PARKED_METRIC.name,
        dimensionsMap: { Fabric: props.parked.fabric, Source: PARKED_METRIC.source },
        period,
        statistic: "Sum",
      }),
    });

    props.functions.forEach((fn, i) => {
      this.functionErrorAlarms.push(
        new cloudwatch.Alarm(this, `FunctionErrors${i}`, {
          ...common,
          threshold: 1,
          alarmName: i === 0 ? props.functionErrorsAlarmName : `${props.functionErrorsAlarmName}-${i + 1}`,
          // Lambda counts an error only when an invocation throws, times out or runs out of memory.
          // A poison message is not one: the function returns normally and lists it in
          // batchItemFailures, so the parked-actors and DLQ alarms are the ones that catch it.
          alarmDescription:
            "The function threw, timed out or ran out of memory (a bug, an unreachable table or queue, a failing signal or direct invoke). Poison messages do not count here: the function reports them in batchItemFailures and returns normally; the parked-actors and DLQ alarms catch those.",
          metric: fn.metricErrors({ period, statistic: "Sum" }),
        }),
      );
    });

    for (const alarm of this.all()) {
      for (const action of props.actions) alarm.addAlarmAction(action);
    }
  }

  all(): cloudwatch.Alarm[] {
    return [...this.dlqAlarms, ...this.dlqAgeAlarms, this.parkedAlarm, ...this.functionErrorAlarms];
  }
}
