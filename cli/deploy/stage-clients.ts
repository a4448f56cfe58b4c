import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoActorStore } from "../../runtime/adapters/aws/dynamodb-actor-store.ts";
import { S3StateBlobs } from "../../runtime/adapters/aws/s3-state-blobs.ts";
import type { StageOutputs } from "../stage-target.ts";
import {
  type AwsEnvironment,
  type EnvSource,
  resolveAwsEnvironment,
  sdkClientConfig,
} from "./aws-environment.ts";

/** What `--stage` commands talk to a recorded stage with, and the target line they print for it. */
export interface StageClients {
  /** e.g. "stage prod (orders-prod, eu-west-1)". */
  description: string;
  lambda: LambdaClient;
  sqs: SQSClient;
  dynamodb: DynamoDBClient;
  /** Consistent reads of the stage's State table (and of its large-state bucket). */
  store: DynamoActorStore;
  destroy(): void;
}

/** `env` is the command's environment (credentials, AWS_ENDPOINT_URL). */
export function openStageClients(outputs: StageOutputs, env: EnvSource): StageClients {
  const resolved = resolveAwsEnvironment(env, { configRegion: outputs.region });
  // An emulator stage keeps its endpoint; AWS_ENDPOINT_URL still wins for one that moved.
  const aws: AwsEnvironment = { ...resolved, endpoint: resolved.endpoint ?? outputs.endpoint };
  const config = sdkClientConfig(aws);
  const lambda = new LambdaClient(config);
  const sqs = new SQSClient(config);
  const dynamodb = new DynamoDBClient(config);
  // An emulator's S3 serves buckets by path; AWS by virtual host, as the SDK defaults.
  const s3 = new S3Client({ ...config, forcePathStyle: config.endpoint !== undefined });
  return {
    description: `stage ${outputs.stage} (${outputs.stackName}, ${aws.region}${aws.endpoint ? ` via ${aws.endpoint}` : ""})`,
    lambda,
    sqs,
    dynamodb,
    store: new DynamoActorStore({
      client: dynamodb,
      stateTable: outputs.stateTable,
      blobs: outputs.stateBucket ? new S3StateBlobs({ client: s3, bucket: outputs.stateBucket }) : undefined,
    }),
    destroy() {
      lambda.destroy();
      sqs.destroy();
      dynamodb.destroy();
      s3.destroy();
    },
  };
}
