import type { RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import { Construct } from "constructs";
import { TABLES } from "../runtime/adapters/aws/config.ts";
import { acknowledge } from "./nag.ts";
import type { FabricNames } from "./names.ts";

export interface FabricTablesProps {
  names: FabricNames;
  removalPolicy: RemovalPolicy;
  /**
   * A kept stage's tables outlive its stack: each gets point-in-time recovery and deletion
   * protection. A disposable (dev) stage's tables go with its stack.
   */
  kept: boolean;
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
    const { names, removalPolicy, kept } = props;
    const str = dynamodb.AttributeType.STRING;
    const billingMode = dynamodb.BillingMode.PAY_PER_REQUEST;
    const recovery = { pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true } };
    const keptOnly = kept ? { ...recovery, deletionProtection: true } : {};

    // State holds every acknowledged update: point-in-time recovery is the backstop for an
    // operator mistake. Processed-message markers in it expire via TTL.
    this.state = new dynamodb.Table(this, "State", {
      tableName: names.stateTable,
      partitionKey: { name: TABLES.state.partitionKey, type: str },
      sortKey: { name: TABLES.state.sortKey, type: str },
      billingMode,
      ...recovery,
      ...(kept ? { deletionProtection: true } : {}),
      timeToLiveAttribute: TABLES.state.ttlAttribute,
      removalPolicy,
    });
    // The sweeper's view: only state items with unfinished work carry these keys (a sparse
    // index), so it finds a crashed turn's outbox by query, never by scanning State.
    const { strandedIndex } = TABLES.state;
    this.state.addGlobalSecondaryIndex({
      indexName: strandedIndex.name,
      partitionKey: { name: strandedIndex.partitionKey, type: str },
      sortKey: { name: strandedIndex.sortKey, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: ["actorType"],
    });
    // The fleet's view (`durable state list`, the inspector): keys only, so an entry is rewritten
    // only when its key changes (first commit, a new hour, park/unpark), never for a version bump.
    const { fleetIndex } = TABLES.state;
    this.state.addGlobalSecondaryIndex({
      indexName: fleetIndex.name,
      partitionKey: { name: fleetIndex.partitionKey, type: str },
      sortKey: { name: fleetIndex.sortKey, type: str },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });

    // No TTL on Locks: the lease record is kept forever so its fencing epoch stays monotonic.
    this.locks = new dynamodb.Table(this, "Locks", {
      tableName: names.locksTable,
      partitionKey: { name: TABLES.locks.partitionKey, type: str },
      billingMode,
      ...keptOnly,
      removalPolicy,
    });

    this.workflows = new dynamodb.Table(this, "Workflows", {
      tableName: names.workflowsTable,
      partitionKey: { name: TABLES.workflows.partitionKey, type: str },
      sortKey: { name: TABLES.workflows.sortKey, type: str },
      billingMode,
      ...keptOnly,
      timeToLiveAttribute: TABLES.workflows.ttlAttribute,
      removalPolicy,
    });

    if (!kept) {
      for (const table of [this.locks, this.workflows]) {
        acknowledge(
          table,
          ["AwsSolutions-DDB3"],
          "A dev stage is disposable (durable destroy deletes its data); Locks holds only lease epochs and Workflows only step records. Kept stages enable point-in-time recovery on every table.",
        );
      }
    }
  }
}
