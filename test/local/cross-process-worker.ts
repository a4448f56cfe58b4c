/**
 * One OS process of the cross-process test: `cycles` times acquire → load → commit(version + 1)
 * → release on one actor, retrying whatever another process won. Prints the versions it committed.
 * Usage: bun cross-process-worker.ts <db path> <actor id> <owner> <cycles> <start at (epoch ms)>
 */

import { openLocalPorts } from "../../runtime/adapters/local/index.ts";
import { LeaseHeldError, LeaseLostError, VersionConflictError } from "../../runtime/core/errors.ts";

const [dbPath, actorId, owner, cyclesText, startText] = process.argv.slice(2);
if (!dbPath || !actorId || !owner || !cyclesText || !startText) {
  throw new Error("usage: <db path> <actor id> <owner> <cycles> <start at>");
}
const cycles = Number(cyclesText);
const ports = openLocalPorts({ path: dbPath, historyLimit: 10_000 });
const { store, clock } = ports;
// A common start line: without it the first process is often done before the last has booted.
await clock.sleep(Math.max(0, Number(startText) - clock.now()));
/** A turn takes time between its steps, as a real handler would; other processes race it meanwhile. */
const pause = () => clock.sleep(Math.random());

const committed: number[] = [];
let retries = 0;
while (committed.length < cycles) {
  let lease: Awaited<ReturnType<typeof store.acquireLease>> | undefined;
  try {
    lease = await store.acquireLease(actorId, owner, 5_000, clock.now());
    await pause();
    const { record } = await store.load(actorId, []);
    await pause();
    const version = record.version + 1;
    await store.commit({
      lease,
      actorType: "counter",
      expectedVersion: record.version,
      version,
      state: { count: version, by: owner },
      timers: {},
      parked: null,
      outbox: [],
      markers: [{ messageId: `${owner}-${committed.length}`, version }],
      waiting: null,
      hold: [],
      drained: [],
      release: true,
      now: clock.now(),
    });
    committed.push(version);
  } catch (error) {
    const expected =
      error instanceof LeaseHeldError ||
      error instanceof VersionConflictError ||
      error instanceof LeaseLostError;
    if (!expected) throw error;
    retries++;
    if (lease) await store.releaseLease(lease);
    await clock.sleep(Math.random() * 2);
  }
}
ports.close();
process.stdout.write(JSON.stringify({ owner, committed, retries }));
