/**
 * The stage target's sync invoke with a mocked Lambda client. moto creates functions but cannot run
 * them, so a real RequestResponse invoke cannot answer in any emulator here; the handler's own
 * answers are covered by the Lambda engineer's handler tests. What this file proves is the CLI's
 * half: the DurableInvokeEvent it sends, and how it reads every kind of answer.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from "@aws-sdk/client-lambda";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { openProject, type Project } from "../../cli/project.ts";
import { openStageTarget, type StageOutputs } from "../../cli/stage-target.ts";
import type { DurableInvokeEvent, DurableInvokeResult } from "../../runtime/adapters/aws/invoke-event.ts";
import { decodeMessage } from "../../runtime/adapters/aws/sqs-codec.ts";
import { VersionConflictError } from "../../runtime/core/errors.ts";
import { type CounterProject, counterProject, runInProcess } from "./fixtures.ts";

const lambda = mockClient(LambdaClient);
const sqs = mockClient(SQSClient);
const ENV = { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_REGION: "eu-west-1" };

const OUTPUTS: StageOutputs = {
  stage: "unit",
  stackName: "counter-unit",
  region: "eu-west-1",
  stateTable: "counter-unit-State",
  locksTable: "counter-unit-Locks",
  workflowsTable: "counter-unit-Workflows",
  queueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/counter-unit-actors.fifo",
  functionName: "counter-unit-handler",
  deployedAt: "2026-01-01T00:00:00.000Z",
};

let fixture: CounterProject;
let project: Project;
beforeAll(async () => {
  fixture = await counterProject();
  mkdirSync(join(fixture.root, ".durable", "stages"), { recursive: true });
  writeFileSync(join(fixture.root, ".durable", "stages", "unit.json"), JSON.stringify(OUTPUTS));
  project = await openProject(fixture.root);
});
afterAll(async () => {
  lambda.restore();
  sqs.restore();
  await fixture[Symbol.asyncDispose]();
});
afterEach(() => {
  lambda.reset();
  sqs.reset();
});

function answer(
  result: DurableInvokeResult | Record<string, unknown>,
  functionError?: string,
): InvokeCommandOutput {
  const payload = new TextEncoder().encode(JSON.stringify(result)) as InvokeCommandOutput["Payload"];
  return {
    StatusCode: 200,
    Payload: payload,
    $metadata: {},
    ...(functionError ? { FunctionError: functionError } : {}),
  };
}

function sentEvent(): DurableInvokeEvent {
  const calls = lambda.commandCalls(InvokeCommand);
  expect(calls).toHaveLength(1);
  const input = calls[0]?.args[0].input;
  expect(input?.FunctionName).toBe("counter-unit-handler");
  expect(input?.InvocationType).toBe("RequestResponse");
  // The CLI always sends bytes (a Uint8Array), one of the shapes the SDK's Payload type allows.
  expect(input?.Payload).toBeInstanceOf(Uint8Array);
  return JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array)) as DurableInvokeEvent;
}

describe("stage target: sync invoke", () => {
  test("sends one RequestResponse invoke with a DurableInvokeEvent (type and default handler resolved) and returns the result", async () => {
    lambda.on(InvokeCommand).resolves(
      answer({
        ok: true,
        messageId: "m-1",
        actorId: "counter-1",
        actorType: "counter",
        handler: "increment",
        result: { count: 2 },
        version: 4,
        duplicate: false,
      }),
    );
    const target = await openStageTarget(project, "unit", ENV);
    const response = await target.invoke({ actorId: "counter-1", input: { by: 2 }, messageId: "m-1" });
    target.close();
    expect(sentEvent()).toEqual({
      type: "durable.invoke",
      actorId: "counter-1",
      actorType: "counter",
      handler: "increment",
      input: { by: 2 },
      messageId: "m-1",
    });
    expect(response).toEqual({
      mode: "sync",
      messageId: "m-1",
      actorId: "counter-1",
      actorType: "counter",
      handler: "increment",
      result: { count: 2 },
      version: 4,
      duplicate: false,
    });
  });

  test("an ok:false answer is rethrown as the runtime's typed error with its code and hint", async () => {
    const error = {
      name: "VersionConflictError",
      code: "VERSION_CONFLICT",
      message: "counter-1 moved",
      hint: "retry",
    };
    lambda.on(InvokeCommand).resolves(answer({ ok: false, error }));
    const target = await openStageTarget(project, "unit", ENV);
    const failure = await target.invoke({ actorId: "counter-1", handler: "get" }).catch((e: unknown) => e);
    target.close();
    expect(failure).toBeInstanceOf(VersionConflictError);
    expect(failure).toMatchObject({
      code: "VERSION_CONFLICT",
      message: "counter-1 moved",
      hint: "retry",
      userFacing: true,
    });
  });

  test("a FunctionError (the function crashed or timed out) is one user-facing line with the function's own error, pointing at durable logs", async () => {
    lambda
      .on(InvokeCommand)
      .resolves(
        answer({ errorType: "Error", errorMessage: "Task timed out after 30.00 seconds" }, "Unhandled"),
      );
    const target = await openStageTarget(project, "unit", ENV);
    const failure = await target.invoke({ actorId: "counter-1" }).catch((e: unknown) => e);
    target.close();
    expect(failure).toMatchObject({
      code: "FUNCTION_FAILED",
      message: "counter-unit-handler failed on stage unit: Error: Task timed out after 30.00 seconds",
      hint: "see what it logged: durable logs --stage unit",
    });
  });

  test("durable invoke --stage prints the function's error type and message, never the FunctionError word", async () => {
    // Lambda's answer to a function that threw: FunctionError "Unhandled", the error in the payload.
    lambda.on(InvokeCommand).resolves(
      answer(
        {
          errorType: "TypeError",
          errorMessage: "Cannot read properties of undefined (reading 'count')\n    at increment",
          trace: ["TypeError: Cannot read properties of undefined (reading 'count')", "    at increment"],
        },
        "Unhandled",
      ),
    );
    const run = await runInProcess(["invoke", "counter-1", "--stage", "unit"], {
      cwd: fixture.root,
      env: ENV,
    });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(
      "error: counter-unit-handler failed on stage unit: TypeError: Cannot read properties of undefined (reading 'count')",
    );
    expect(run.stderr).toContain("durable logs --stage unit");
    expect(run.stderr).not.toContain("Unhandled");
  });

  test("a FunctionError without an error payload still says what failed and where to look", async () => {
    lambda.on(InvokeCommand).resolves({ ...answer({}, "Handled"), Payload: undefined });
    const target = await openStageTarget(project, "unit", ENV);
    const failure = await target.invoke({ actorId: "counter-1" }).catch((e: unknown) => e);
    target.close();
    expect(failure).toMatchObject({
      message: "counter-unit-handler failed on stage unit: it returned no error details",
      hint: "see what it logged: durable logs --stage unit",
    });
  });

  test("a bad actor id, an unknown handler or unsafe input is refused before any request is sent", async () => {
    const target = await openStageTarget(project, "unit", ENV);
    const refusals = await Promise.all([
      target.invoke({ actorId: "counter 1" }).catch((e: unknown) => e),
      target.invoke({ actorId: "counter-1", handler: "nope" }).catch((e: unknown) => e),
      target
        .invoke({ actorId: "counter-1", input: JSON.parse('{"__proto__":{"x":1}}') })
        .catch((e: unknown) => e),
      target.invoke({ actorId: "counter-1", mode: "async", handler: "nope" }).catch((e: unknown) => e),
    ]);
    target.close();
    expect(refusals.map((e) => (e as { code?: string }).code)).toEqual([
      "INVALID_ACTOR_ID",
      "UNKNOWN_HANDLER",
      "UNSAFE_JSON_KEY",
      "UNKNOWN_HANDLER",
    ]);
    expect(lambda.calls()).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
  });
});

describe("stage target: async invoke and list", () => {
  test("queues one SendMessage on the FIFO queue grouped by actor id and deduplicated by message id, in the codec's body", async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: "sqs-1", $metadata: {} });
    const target = await openStageTarget(project, "unit", ENV);
    const response = await target.invoke({
      actorId: "counter-7",
      handler: "reset",
      mode: "async",
      messageId: "m-9",
    });
    target.close();
    expect(response).toEqual({
      mode: "async",
      messageId: "m-9",
      actorId: "counter-7",
      actorType: "counter",
      handler: "reset",
      queued: true,
    });
    const input = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      QueueUrl: OUTPUTS.queueUrl,
      MessageGroupId: "counter-7",
      MessageDeduplicationId: "m-9",
    });
    expect(decodeMessage(input?.MessageBody)).toMatchObject({
      id: "m-9",
      actorId: "counter-7",
      actorType: "counter",
      handler: "reset",
      kind: "send",
    });
  });

  test("a stage that was never deployed from this checkout is one line pointing to durable deploy", async () => {
    const failure = await openStageTarget(project, "prod", ENV).catch((e: unknown) => e);
    expect(failure).toMatchObject({
      code: "STAGE_NOT_DEPLOYED",
      hint: expect.stringContaining("durable deploy --stage prod"),
    });
  });
});

describe("stage target: unpark", () => {
  test("runs the unpark in the function (a durable.unpark event) and reports how many waited and ran", async () => {
    lambda.on(InvokeCommand).resolves(
      answer({
        ok: true,
        actorId: "counter-1",
        wasParked: true,
        parkedOn: null,
        waiting: 3,
        drained: 3,
        stillWaiting: 0,
        parkedAgain: null,
        version: 7,
      }),
    );
    const target = await openStageTarget(project, "unit", ENV);
    try {
      const result = await target.unpark("counter-1", "counter");
      expect(result).toMatchObject({ waiting: 3, drained: 3, stillWaiting: 0, version: 7 });
      expect(sentEvent()).toEqual({
        type: "durable.unpark",
        actorId: "counter-1",
        actorType: "counter",
      } as never);
    } finally {
      target.close();
    }
  });

  test("a function that predates durable.unpark is reported as such, with the fix", async () => {
    lambda
      .on(InvokeCommand)
      .resolves(answer({ errorType: "TypeError", errorMessage: "unsupported event" }, "Unhandled"));
    const target = await openStageTarget(project, "unit", ENV);
    try {
      const error = await target.unpark("counter-1").catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "STAGE_TOO_OLD" });
      expect(String((error as { hint?: string }).hint)).toContain("durable deploy --stage unit");
    } finally {
      target.close();
    }
  });
});
