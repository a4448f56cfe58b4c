import { createServer } from "node:net";

/**
 * A port that was free on 127.0.0.1 a moment ago. For servers that cannot be told to bind port 0
 * themselves (DynamoDB Local, moto); callers retry on another port if the server then fails to bind.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("could not find a free port"))));
    });
  });
}
