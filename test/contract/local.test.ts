import { afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalPorts, openLocalPorts } from "../../runtime/adapters/local/index.ts";
import { LIMITS } from "../../runtime/core/limits.ts";
import { ManualClock } from "../../runtime/testing/manual-clock.ts";
import { actorStoreContract } from "./actor-store.contract.ts";
import { messageQueueContract } from "./message-queue.contract.ts";
import { signalBusContract } from "./signal-bus.contract.ts";
import { stepStoreContract } from "./step-store.contract.ts";
import { timerSchedulerContract } from "./timer-scheduler.contract.ts";

/** Every port contract against the bun:sqlite fabric, in memory with a manual clock. */
function open(): { ports: LocalPorts; clock: ManualClock; cleanup: () => Promise<void> } {
  const clock = new ManualClock();
  const ports = openLocalPorts({ path: ":memory:", clock });
  return { ports, clock, cleanup: async () => ports.close() };
}

actorStoreContract("local", async () => {
  const { ports, clock, cleanup } = open();
  return { store: ports.store, clock, cleanup };
});

// The same store cases on a WAL file, the way `durable dev` and the CLI open it.
const dir = mkdtempSync(join(tmpdir(), "durable-contract-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
actorStoreContract("local-file", async () => {
  const clock = new ManualClock();
  const ports = openLocalPorts({ path: join(dir, `store-${++files}.db`), clock, durability: "normal" });
  return { store: ports.store, clock, cleanup: async () => ports.close() };
});

stepStoreContract("local", async () => {
  const { ports, cleanup } = open();
  return { steps: ports.steps, cleanup };
});

messageQueueContract("local", async () => {
  const { ports, clock, cleanup } = open();
  return {
    queue: ports.queue,
    advance: async (ms) => clock.advance(ms),
    redriveAfter: ports.queue.maxReceives + LIMITS.redriveSlackReceives,
    cleanup,
  };
});

timerSchedulerContract("local", async () => {
  const { ports, clock, cleanup } = open();
  return {
    scheduler: ports.timers,
    fire: (now) => ports.timers.fireDueTimers(now),
    now: () => clock.now(),
    cleanup,
  };
});

signalBusContract("local", async () => {
  const { ports, cleanup } = open();
  return { bus: ports.signals, published: () => ports.signals.recent({ afterSeq: 0 }), cleanup };
});
