import { Duration } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import type { DurableSweepEvent } from "../runtime/adapters/aws/invoke-event.ts";
import { acknowledge } from "./nag.ts";
import type { FabricNames } from "./names.ts";

export interface FabricSweeperProps {
  names: FabricNames;
  functions: readonly lambda.Function[];
}

/** How often the sweeper looks for outboxes a crash left unrelayed (DESIGN: relayed within 2 minutes). */
export const SWEEP_RATE = Duration.minutes(1);

/**
 * Invokes the fabric's function every minute with a `durable.sweep` event: it relays outboxes that
 * a turn committed but never relayed (the process was killed, timed out or ran out of memory right
 * after the commit) and runs waiting messages of unparked actors, found through the State table's
 * sparse stranded index. A missed or failed sweep costs nothing but a minute: the next one covers it.
 */
export class FabricSweeper extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: FabricSweeperProps) {
    super(scope, id);
    const event: DurableSweepEvent = { type: "durable.sweep" };
    this.rule = new events.Rule(this, "SweepRule", {
      ruleName: props.names.sweepRule,
      schedule: events.Schedule.rate(SWEEP_RATE),
      description: "Relays outboxes left unrelayed by a crashed turn (Durable fabric sweeper).",
    });
    acknowledge(
      this.rule,
      ["Serverless-EventBusDLQ"],
      "The sweep is a one-minute schedule with nothing to deliver: a missed invocation is covered by the next one, so a DLQ would only collect empty events.",
    );
    for (const fn of props.functions) {
      this.rule.addTarget(
        new targets.LambdaFunction(fn, {
          event: events.RuleTargetInput.fromObject(event),
          // A sweep is worth nothing a minute later, when the next one runs: no retries, no age.
          retryAttempts: 0,
          maxEventAge: Duration.minutes(1),
        }),
      );
    }
  }
}
