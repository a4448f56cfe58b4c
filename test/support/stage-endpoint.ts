import type { Context } from "aws-lambda";

export interface StageEndpointOptions {
  /** DynamoDB Local's endpoint. */
  dynamodb: string;
  /** fauxqs's endpoint. */
  sqs: string;
  /** The stage's function: a real Lambda handler, run in this process. */
  handler: (event: unknown, context: Context) => Promise<unknown>;
  context: () => Context;
}

/** One DynamoDB request as it went over the wire: its operation and the table and index it named. */
export interface DynamoDbRequest {
  operation: string;
  table: string | undefined;
  index: string | undefined;
}

export interface StageEndpoint extends AsyncDisposable {
  url: string;
  /** Every event the function was invoked with, in order. */
  invocations: unknown[];
  /**
   * Every DynamoDB request the stage's clients sent (the CLI's included), in order: a request log
   * at the wire, so nothing a client sends escapes it, whichever SDK client sent it.
   */
  dynamodbRequests: DynamoDbRequest[];
  /** The next invoke whose event matches runs the handler, then answers HTTP 500 instead of its result. */
  failAfterRunning(match: (event: unknown) => boolean): void;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/[^/]+\/invocations$/;

/**
 * One AWS endpoint for a stage on emulators, as a stage file's `endpoint` names it: every SDK
 * client of the CLI sends there. No emulator here runs a Lambda function, so Lambda Invoke
 * (POST /2015-03-31/functions/<name>/invocations) is served by the real handler in this process,
 * answered as Lambda answers (the result as the payload; a thrown error as X-Amz-Function-Error
 * with errorType and errorMessage). DynamoDB requests go on to DynamoDB Local, the rest (SQS) to fauxqs.
 */
export function stageEndpoint(options: StageEndpointOptions): StageEndpoint {
  const invocations: unknown[] = [];
  const dynamodbRequests: DynamoDbRequest[] = [];
  let failNext: ((event: unknown) => boolean) | undefined;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      if (request.method === "POST" && INVOKE_PATH.test(url.pathname)) {
        const event: unknown = JSON.parse(await request.text());
        invocations.push(event);
        let answer: Response;
        try {
          const result = await options.handler(event, options.context());
          answer = Response.json(result ?? null, { headers: { "X-Amz-Executed-Version": "$LATEST" } });
        } catch (error) {
          const e = error instanceof Error ? error : new Error(String(error));
          answer = Response.json(
            { errorType: e.name, errorMessage: e.message },
            { headers: { "X-Amz-Function-Error": "Unhandled", "X-Amz-Executed-Version": "$LATEST" } },
          );
        }
        if (failNext?.(event)) {
          failNext = undefined;
          // What a caller sees when Lambda fails after the function ran: the SDK retries a 5xx.
          return Response.json(
            { Type: "Service", Message: "the service failed after the function ran" },
            { status: 500, headers: { "x-amzn-ErrorType": "ServiceException" } },
          );
        }
        return answer;
      }
      const amzTarget = request.headers.get("x-amz-target") ?? "";
      const target = amzTarget.startsWith("DynamoDB_") ? options.dynamodb : options.sqs;
      const headers = new Headers(request.headers);
      headers.delete("host");
      const body =
        request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
      if (amzTarget.startsWith("DynamoDB_")) dynamodbRequests.push(describeDynamoDb(amzTarget, body));
      const forwarded = await fetch(`${target}${url.pathname}${url.search}`, {
        method: request.method,
        headers,
        body,
      });
      // fetch has already decoded the body, so its original length and encoding no longer apply.
      const answerHeaders = new Headers(forwarded.headers);
      answerHeaders.delete("content-encoding");
      answerHeaders.delete("content-length");
      return new Response(await forwarded.arrayBuffer(), {
        status: forwarded.status,
        headers: answerHeaders,
      });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    invocations,
    dynamodbRequests,
    failAfterRunning(match) {
      failNext = match;
    },
    async [Symbol.asyncDispose]() {
      await server.stop(true);
    },
  };
}

function describeDynamoDb(amzTarget: string, body: ArrayBuffer | undefined): DynamoDbRequest {
  const operation = amzTarget.slice(amzTarget.indexOf(".") + 1);
  let input: { TableName?: string; IndexName?: string; RequestItems?: Record<string, unknown> } = {};
  try {
    input = JSON.parse(new TextDecoder().decode(body));
  } catch {}
  return {
    operation,
    table: input.TableName ?? Object.keys(input.RequestItems ?? {})[0],
    index: input.IndexName,
  };
}
