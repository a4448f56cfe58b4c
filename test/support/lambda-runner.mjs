// A deployed stage's function on emulators, run under Node as Lambda runs it: it imports a
// `durable build` bundle and answers Lambda's Invoke API (POST /2015-03-31/functions/<name>/invocations),
// one event per request. Every other request is an SDK call to another service: it is passed on to
// that service's emulator, chosen by the service named in the request's SigV4 signature, so one
// endpoint (what a stage file records) serves the CLI's DynamoDB, S3 and Lambda calls alike.
//
//   node lambda-runner.mjs <bundle> <port> '{"dynamodb":"http://…","sqs":"http://…","s3":"http://…"}'
//
// The function reaches the emulators itself through AWS_ENDPOINT_URL_<SERVICE> in its environment.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";

const [bundle, port, upstreamsJson] = process.argv.slice(2);
const upstreams = JSON.parse(upstreamsJson);
const { handler } = await import(bundle);
const TIMEOUT_MS = 30_000;
const INVOKE = /^\/2015-03-31\/functions\/([^/]+)\/invocations/;

async function body(request) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function invoke(name, payload, response) {
  const deadline = Date.now() + TIMEOUT_MS;
  const context = {
    awsRequestId: randomUUID(),
    functionName: name,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = await handler(JSON.parse(payload.toString("utf8") || "null"), context);
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify(result ?? null));
  } catch (error) {
    response.writeHead(200, { "content-type": "application/json", "x-amz-function-error": "Unhandled" });
    response.end(
      JSON.stringify({ errorType: error?.name ?? "Error", errorMessage: String(error?.message ?? error) }),
    );
  }
}

async function forward(request, payload, response) {
  const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(request.headers.authorization ?? "")?.[1];
  const upstream = service && upstreams[service];
  if (!upstream) {
    response.writeHead(400, { "content-type": "text/plain" });
    response.end(`lambda-runner: no emulator for service ${service ?? "(unsigned)"}`);
    return;
  }
  const headers = { ...request.headers };
  for (const name of ["host", "connection", "content-length", "transfer-encoding"]) delete headers[name];
  const reply = await fetch(`${upstream}${request.url}`, {
    method: request.method,
    headers,
    body: ["GET", "HEAD"].includes(request.method) ? undefined : payload,
  });
  const out = {};
  reply.headers.forEach((value, name) => {
    if (!["content-length", "transfer-encoding", "content-encoding", "connection"].includes(name))
      out[name] = value;
  });
  const bytes = Buffer.from(await reply.arrayBuffer());
  response.writeHead(reply.status, { ...out, "content-length": String(bytes.length) });
  response.end(bytes);
}

const server = createServer(async (request, response) => {
  try {
    const payload = await body(request);
    const match = INVOKE.exec(request.url ?? "");
    if (match && request.method === "POST") await invoke(decodeURIComponent(match[1]), payload, response);
    else await forward(request, payload, response);
  } catch (error) {
    response.writeHead(502, { "content-type": "text/plain" });
    response.end(`lambda-runner: ${String(error)}`);
  }
});
server.listen(Number(port), "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ runner: "ready", port: server.address().port })}\n`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));
