import { defineConfig } from "./durable/config.ts";

export default defineConfig({
  name: "distributed-cron",
  actors: ["actors"],
  dev: { port: 8787 },
  aws: { memoryMb: 512, timeoutSeconds: 30 },
});
