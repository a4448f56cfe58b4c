import { describe, expect, test } from "bun:test";
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { dynamoDbLocal } from "../support/dynamodb-local.ts";
import { fauxqs } from "../support/fauxqs.ts";
import { motoServer } from "../support/moto.ts";

// Startup times go to stderr so a run shows what each emulator costs.
function report(name: string, ms: number): void {
  process.stderr.write(`[emulators] ${name} answered after ${ms} ms\n`);
}

describe("test emulators", () => {
  test("DynamoDB Local starts once per process on 127.0.0.1 and answers a signed request", async () => {
    const ddb = await dynamoDbLocal();
    report("DynamoDB Local", ddb.startupMs);
    expect(ddb.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await dynamoDbLocal()).toBe(ddb);
    const tables = await ddb.client().send(new ListTablesCommand({}));
    expect(Array.isArray(tables.TableNames)).toBe(true);
  }, 60_000);

  test("fauxqs starts once per process on 127.0.0.1 and answers a signed request", async () => {
    const sqs = await fauxqs();
    report(`fauxqs (${sqs.mode})`, sqs.startupMs);
    expect(await fauxqs()).toBe(sqs);
    const queues = await sqs.client().send(new ListQueuesCommand({}));
    expect(queues.$metadata.httpStatusCode).toBe(200);
  }, 30_000);

  test("moto_server starts once per process and answers at http://localhost:PORT", async () => {
    const moto = await motoServer();
    report("moto_server", moto.startupMs);
    expect(moto.endpoint).toMatch(/^http:\/\/localhost:\d+$/);
    expect(await motoServer()).toBe(moto);
    const queues = await new SQSClient(moto.clientConfig()).send(new ListQueuesCommand({}));
    expect(queues.$metadata.httpStatusCode).toBe(200);
  }, 60_000);

  test("moto reset drops every resource, so one server serves many tests", async () => {
    const moto = await motoServer();
    const sqs = new SQSClient(moto.clientConfig());
    await sqs.send(new CreateQueueCommand({ QueueName: `reset-${Date.now()}` }));
    expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls?.length).toBeGreaterThan(0);
    await moto.reset();
    expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).toEqual([]);
  }, 30_000);
});
