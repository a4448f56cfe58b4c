import type { RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import { Construct } from "constructs";
import { TABLES } from "../runtime/adapters/aws/config.ts";
import type { FabricNames } from "./names.ts";

export interface FabricTablesProps {
  names: FabricNames;
  removalPolicy: RemovalPolicy;
}

/**
 * The three tables, keyed exactly as the aws adapter expects (config.ts TABLES).
 * `dynamodb.Table` rather than TableV2 because moto ignores `AWS::DynamoDB::GlobalTable`.
 */
export class FabricTables extends Construct {
  readonly state: dynamodb.Table;
  readonly locks: dynamodb.Table;
  readonly workflows: dynamodb.Table;

  constructor(scope: Construct, id: string, props: FabricTablesProps) {
    super(scope, id);
    const { names, removalPolicy } = props;
    const str = dynamodb.AttributeType.STRING;
    const billingMode = dynamodb.BillingMode.PAY_PER_REQUEST;

    // State holds every acknowledged update: point-in-time recovery is the backstop for an
    // operator mistake. Processed-message markers in it expire via TTL.
    this.state = new dynamodb.Table(this, "State", {
      tableName: names.stateTable,
      partitionKey: { name: TABLES.state.partitionKey, type: str },
      sortKey: { name: TABLES.state.sortKey, type: str },
      billingMode,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLES.state.ttlAttribute,
      removalPolicy,
    });

    // No TTL on Locks: the lease record is kept forever so its fencing epoch stays monotonic.
    this.locks = new dynamodb.Table(this, "Locks", {
      tableName: names.locksTable,
      partitionKey: { name: TABLES.locks.partitionKey, type: str },
      billingMode,
      removalPolicy,
    });

    this.workflows = new dynamodb.Table(this, "Workflows", {
      tableName: names.workflowsTable,
      partitionKey: { name: TABLES.workflows.partitionKey, type: str },
      sortKey: { name: TABLES.workflows.sortKey, type: str },
      billingMode,
      timeToLiveAttribute: TABLES.workflows.ttlAttribute,
      removalPolicy,
    });
  }
}
