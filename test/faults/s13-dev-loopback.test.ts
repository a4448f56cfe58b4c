import { describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { startDevServer } from "../../cli/dev/server.ts";
import { openLocalPorts } from "../../runtime/adapters/local/index.ts";
import { actor } from "../../runtime/core/actor.ts";
import { Fabric } from "../../runtime/core/fabric.ts";
import { SEEDS, seedTag } from "./seed.ts";
import { recordRun, scenarioFile } from "./tally.ts";

scenarioFile(import.meta.path);

/*
 * Scenario 13. `durable dev` (started in process with startDevServer) must accept connections only
 * on loopback, and refuse requests whose Host or Origin is not this server: a web page that rebinds
 * its own DNS name to 127.0.0.1 reaches the port, but its requests carry its own Host and Origin.
 * Requests are written on raw sockets, so every header is exactly what an attacker would send.
 * Local only: the dev server serves the local fabric, and a deployed stage has no such server.
 */
const counter = actor("counter", {
  state: () => ({ count: 0 }),
  handlers: {
    increment(ctx) {
      ctx.state.count += 1;
      return { count: ctx.state.count };
    },
  },
});

/** One HTTP/1.1 request on a raw socket; resolves with the status code, or the connection error. */
function rawRequest(
  host: string,
  port: number,
  headers: string[],
  method = "POST",
  path = "/actors/counter-1/increment",
): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let response = "";
    socket.setTimeout(5_000, () => socket.destroy(new Error("timeout")));
    socket.on("connect", () => {
      socket.write(
        [`${method} ${path} HTTP/1.1`, ...headers, "Content-Length: 0", "Connection: close", "", ""].join(
          "\r\n",
        ),
      );
    });
    socket.on("data", (chunk) => {
      response += chunk.toString("utf8");
    });
    socket.on("close", () => resolve(response.split(" ")[1] ?? "no response"));
    socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** An address of this machine that is not loopback, if it has one. */
function externalAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && a.family === "IPv4") return a.address;
  }
  return undefined;
}

describe("[local] durable dev loopback guard", () => {
  for (const seed of SEEDS)
    test(`[local] durable dev listens on loopback only and refuses foreign Host or Origin headers (DNS rebinding) without writing${seedTag(seed)}`, async () => {
      using ports = openLocalPorts({ path: ":memory:" });
      const fabric = new Fabric({ ports, actors: [counter] });
      const server = startDevServer({ port: 0, ports, fabric: () => fabric });
      try {
        const port = server.port;
        const here = `127.0.0.1:${port}`;
        const refused: Record<string, string[]> = {
          "foreign Host": [`Host: evil.example:${port}`],
          "foreign Host without port": ["Host: evil.example"],
          "rebinding name ending in a loopback name": [`Host: 127.0.0.1.evil.example:${port}`],
          "loopback Host, another port": [`Host: 127.0.0.1:${port + 1}`],
          "no Host at all": [],
          "foreign Origin": [`Host: ${here}`, "Origin: http://evil.example"],
          "rebound page (Host and Origin its own)": [
            `Host: attacker.example:${port}`,
            `Origin: http://attacker.example:${port}`,
          ],
          "loopback Origin, another port": [`Host: ${here}`, `Origin: http://localhost:${port + 1}`],
          "opaque Origin": [`Host: ${here}`, "Origin: null"],
          // "0.0.0.0 day": browsers that route 0.0.0.0 to this machine send it as the Host.
          "0.0.0.0 Host": [`Host: 0.0.0.0:${port}`],
          "0.0.0.0 Origin": [`Host: ${here}`, `Origin: http://0.0.0.0:${port}`],
          "trailing-dot name": [`Host: localhost.:${port}`],
        };
        const accepted: Record<string, string[]> = {
          "127.0.0.1": [`Host: ${here}`],
          localhost: [`Host: localhost:${port}`],
          "same-origin page": [`Host: localhost:${port}`, `Origin: http://localhost:${port}`],
        };
        const statuses: Record<string, string> = {};
        for (const [name, headers] of Object.entries(refused))
          statuses[name] = await rawRequest("127.0.0.1", port, headers);
        const afterRefused = await ports.store.read("counter-1");
        for (const [name, headers] of Object.entries(accepted))
          statuses[name] = await rawRequest("127.0.0.1", port, headers);
        const external = externalAddress();
        const fromOutside = external
          ? await rawRequest(external, port, [`Host: ${external}:${port}`])
          : "no external interface";
        const record = await ports.store.read("counter-1");
        console.log(`[local] s13: ${JSON.stringify({ ...statuses, fromOutside })}`);
        const wrongRefusals = Object.keys(refused).filter(
          (name) => statuses[name] !== "403" && statuses[name] !== "400",
        );
        recordRun("durable dev loopback guard", "local", {
          operations: Object.keys(statuses).length + 1,
          lost: Object.keys(accepted).filter((name) => statuses[name] !== "200").length,
          violations:
            wrongRefusals.length +
            (afterRefused === null ? 0 : 1) +
            (fromOutside === "ECONNREFUSED" || !external ? 0 : 1),
        });

        expect(wrongRefusals).toEqual([]);
        expect(afterRefused).toBeNull();
        expect(Object.keys(accepted).map((name) => statuses[name])).toEqual(["200", "200", "200"]);
        expect(record?.state).toEqual({ count: 3 });
        if (external) expect(fromOutside).toBe("ECONNREFUSED");
      } finally {
        await server.stop();
      }
    });
});
