import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface FabricAlarmsProps {
  /** DLQs to watch, keyed by the alarm name to give each. */
  dlqs: ReadonlyArray<{ alarmName: string; queue: sqs.IQueue; what: string }>;
  functions: readonly lambda.IFunction[];
  actions: readonly cloudwatch.IAlarmAction[];
}

/**
 * One message in a DLQ means an actor is parked or a timer was lost, so any depth alarms;
 * function errors alarm because the fabric reports poison messages through them.
 */
export class FabricAlarms extends Construct {
  readonly dlqAlarms: cloudwatch.Alarm[] = [];
  readonly functionErrorAlarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: FabricAlarmsProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const common = {
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // An idle queue or function publishes no data points; that is healthy, not unknown.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    };

    props.dlqs.forEach((dlq, i) => {
      const alarm = new cloudwatch.Alarm(this, `DlqDepth${i}`, {
        ...common,
        alarmName: dlq.alarmName,
        alarmDescription: `Messages in ${dlq.what}: inspect and redrive them.`,
        metric: dlq.queue.metricApproximateNumberOfMessagesVisible({ period, statistic: "Maximum" }),
      });
      this.dlqAlarms.push(alarm);
    });

    props.functions.forEach((fn, i) => {
      const alarm = new cloudwatch.Alarm(this, `FunctionErrors${i}`, {
        ...common,
        alarmDescription: "A Durable fabric function failed (a failing turn, relay or poison message).",
        metric: fn.metricErrors({ period, statistic: "Sum" }),
      });
      this.functionErrorAlarms.push(alarm);
    });

    for (const alarm of [...this.dlqAlarms, ...this.functionErrorAlarms]) {
      for (const action of props.actions) alarm.addAlarmAction(action);
    }
  }
}
