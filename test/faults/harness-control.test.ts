import { expect, test } from "bun:test";
import { openLocalPorts } from "../../runtime/adapters/local/index.ts";
import { emptyActorRecord } from "../../runtime/core/actor-record.ts";
import { Fabric } from "../../runtime/core/fabric.ts";
import type {
  ActorRecord,
  ActorStore,
  Lease,
  LoadedActor,
  ProcessedMarker,
  StrandedActor,
  WaitingPage,
} from "../../runtime/ports/actor-store.ts";
import type { Worker } from "./backends.ts";
import { runCounterWorkload, tallyCounter } from "./counter-workload.ts";
import { ProcessLife } from "./crash.ts";
import { type FaultErrors, FaultInjector, sleep } from "./fault-injector.ts";
import { FencingLedger } from "./fencing-ledger.ts";
import { InFlight, wrapPorts } from "./port-faults.ts";
import { BASE_SEED } from "./seed.ts";

/*
 * A negative control for the harness, kept out of the summary: the same workload and checks as
 * scenario 1, against a store that grants every lease and writes every commit unconditionally
 * (no fencing, no version check). If the accounting, the fencing ledger and the linearizability
 * checker did not all catch it, the 0s of the summary line would mean nothing.
 */
class UnfencedStore implements ActorStore {
  readonly limits = { maxStateBytes: 400 * 1024, maxHeldBytesPerCommit: 2 * 1024 * 1024 };
  #records = new Map<string, ActorRecord>();
  #markers = new Map<string, ProcessedMarker>();
  #epoch = 0;

  async acquireLease(actorId: string, owner: string, ttlMs: number, now: number): Promise<Lease> {
    return { actorId, owner, epoch: ++this.#epoch, expiresAt: now + ttlMs };
  }

  async load(actorId: string, messageIds: readonly string[]): Promise<LoadedActor> {
    const record = this.#records.get(actorId) ?? emptyActorRecord(actorId);
    const processed = new Map<string, ProcessedMarker>();
    for (const id of messageIds) {
      const marker = this.#markers.get(`${actorId}/${id}`);
      if (marker) processed.set(id, marker);
    }
    const snapshot = structuredClone(record);
    // A slow reply widens the window in which two turns work from the same version.
    await sleep(2);
    return { record: snapshot, processed };
  }

  async commit(commit: Parameters<ActorStore["commit"]>[0]): Promise<void> {
    const { lease } = commit;
    this.#records.set(lease.actorId, {
      actorId: lease.actorId,
      actorType: commit.actorType,
      version: commit.version,
      state: commit.state,
      timers: commit.timers,
      parked: commit.parked,
      outbox: [],
      waiting: commit.waiting,
      updatedAt: commit.now,
    });
    for (const marker of commit.markers) this.#markers.set(`${lease.actorId}/${marker.messageId}`, marker);
  }

  async releaseLease(): Promise<void> {}
  async clearOutbox(): Promise<void> {}
  async read(actorId: string): Promise<ActorRecord | null> {
    return this.#records.get(actorId) ?? null;
  }
  async renewLease(lease: Lease, ttlMs: number, now: number): Promise<Lease> {
    return { ...lease, expiresAt: now + ttlMs };
  }
  async loadWaiting(): Promise<WaitingPage> {
    return { held: [], complete: true };
  }
  async listStranded(): Promise<StrandedActor[]> {
    return [];
  }
}

/** No rules, so no faults: the injector only fills the Worker shape. */
const unused: FaultErrors = {
  before: () => new Error("unused"),
  throttle: () => new Error("unused"),
  ambiguous: () => new Error("unused"),
  conflict: () => new Error("unused"),
};

test("the harness catches a store without fencing: lost increments, stale commits and a non-linearizable history", async () => {
  using local = openLocalPorts({ path: ":memory:" });
  const store = new UnfencedStore();
  const raw = { ...local, store };
  const ledger = new FencingLedger();
  const workers: Worker[] = [0, 1, 2, 3].map((i) => {
    const inFlight = new InFlight();
    const ports = wrapPorts(raw, { observer: ledger, inFlight });
    const none = new FaultInjector(`control-${i}`, [], unused, BASE_SEED);
    return {
      name: `control-w${i}`,
      fabric: new Fabric({ ports, actors: [tallyCounter], owner: `control-w${i}` }),
      ports,
      raw,
      faults: none,
      crashes: none,
      inFlight,
      life: new ProcessLife(),
    };
  });
  const result = await runCounterWorkload({
    actorId: "tally-counter-control",
    workers,
    opsPerWorker: 30,
    readEvery: 5,
  });
  const fencing = ledger.problems("tally-counter-control", result.final.version);

  expect(result.lost.length).toBeGreaterThan(0);
  expect(result.linearizable.ok).toBe(false);
  expect(fencing.length).toBeGreaterThan(0);
});
