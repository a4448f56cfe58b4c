/**
 * fauxqs as a child process (DURABLE_TEST_FAUXQS=child): keeps the emulator's CPU work off the
 * event loop of the benchmark or test that drives it. Prints the bound port as one line.
 */
import { buildApp } from "fauxqs";

const app = buildApp({ logger: false });
const address = await app.listen({ port: Number(process.argv[2] ?? 0), host: "127.0.0.1" });
process.stdout.write(`${new URL(address).port}\n`);
