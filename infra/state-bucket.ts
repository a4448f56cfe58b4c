import { Duration, type RemovalPolicy } from "aws-cdk-lib";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { acknowledge } from "./nag.ts";

export interface FabricStateBucketProps {
  bucketName: string;
  /** RETAIN on a kept stage (the bucket outlives the stack with the tables), DESTROY on a dev stage. */
  removalPolicy: RemovalPolicy;
}

/**
 * States too large for a DynamoDB item (over 400 KB compressed, up to LIMITS.stateBytes), as gzipped
 * objects the runtime writes before the commit that points at them. Private, encrypted, TLS only.
 * Nothing here expires a state by age: only the runtime knows which objects a record still points
 * at, so orphans (a crash between an object's write and its commit) are deleted by the sweep, which
 * checks each against its record (adapters/shared/state-objects.ts). The lifecycle rule clears
 * what no record can ever point at: uploads that never completed.
 */
export class FabricStateBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: FabricStateBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, "Bucket", {
      bucketName: props.bucketName,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: "incomplete-uploads", abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: props.removalPolicy,
    });
    acknowledge(
      this.bucket,
      ["AwsSolutions-S1"],
      "Only the fabric's own function reads and writes this bucket, through its role; server access logs would need a second bucket per stage. Turn on CloudTrail data events for S3 where an audit trail of object access is required.",
    );
  }
}
