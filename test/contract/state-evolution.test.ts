import { beforeAll } from "bun:test";
import { createAwsPorts } from "../../runtime/adapters/aws/create-aws-ports.ts";
import { DynamoActorStore } from "../../runtime/adapters/aws/dynamodb-actor-store.ts";
import { S3StateBlobs } from "../../runtime/adapters/aws/s3-state-blobs.ts";
import { LocalDb } from "../../runtime/adapters/local/database.ts";
import { LocalActorStore, LocalStateBlobs, openLocalPorts } from "../../runtime/adapters/local/index.ts";
import { ManualClock } from "../../runtime/testing/manual-clock.ts";
import {
  emulatorClients,
  freshBucket,
  freshQueues,
  sharedTables,
  testSettings,
} from "../support/aws-fabric.ts";
import { crashableBlobs, largeStateContract } from "./large-state.contract.ts";
import { versionedStateContract } from "./versioned-state.contract.ts";

/*
 * Versioned state and large state on both backends: the local fabric in memory, and the aws adapter
 * on DynamoDB Local with S3 and SQS on fauxqs (an npm S3 emulator the suite already runs in process
 * for SQS, so S3 costs no extra process; moto would add a Python server to these cases).
 */
beforeAll(() => Promise.all([emulatorClients(), sharedTables()]), 60_000);

const MAX_RECEIVES = 3;

versionedStateContract("local", async () => {
  const ports = openLocalPorts({ path: ":memory:", maxReceives: MAX_RECEIVES, largeState: true });
  return { ports, cleanup: async () => ports.close() };
});

versionedStateContract("aws", async () => {
  const clients = await emulatorClients();
  const [queues, bucket] = await Promise.all([
    freshQueues("versioned", { delayQueue: false, maxReceives: MAX_RECEIVES }),
    freshBucket("versioned"),
  ]);
  const settings = await testSettings(queues, { stateBucket: bucket.name, maxReceives: MAX_RECEIVES });
  const ports = createAwsPorts({ settings, clients, deadLetterWaitSeconds: 0 });
  return {
    ports,
    cleanup: async () => {
      await Promise.all([queues.destroy(), bucket.destroy()]);
    },
  };
});

largeStateContract("local", async () => {
  const clock = new ManualClock();
  const db = new LocalDb(":memory:");
  const crash = crashableBlobs(new LocalStateBlobs(db, clock));
  return {
    store: new LocalActorStore(db, { blobs: crash.blobs }),
    blobs: crash.blobs,
    crashAfterNextWrite: crash.arm,
    now: () => clock.now(),
    cleanup: async () => db.close(),
  };
});

largeStateContract("aws", async () => {
  const [{ dynamodb, s3 }, tables, bucket] = await Promise.all([
    emulatorClients(),
    sharedTables(),
    freshBucket("large"),
  ]);
  const crash = crashableBlobs(new S3StateBlobs({ client: s3, bucket: bucket.name }));
  return {
    store: new DynamoActorStore({
      client: dynamodb,
      stateTable: tables.stateTable,
      blobs: crash.blobs,
    }),
    blobs: crash.blobs,
    crashAfterNextWrite: crash.arm,
    now: () => Date.now(),
    cleanup: bucket.destroy,
  };
});
