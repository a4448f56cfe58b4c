import type { Lease, TurnCommit } from "../../runtime/ports/actor-store.ts";
import type { PortObserver } from "./port-faults.ts";

export interface AppliedCommit {
  actorId: string;
  version: number;
  epoch: number;
  owner: string;
}

/**
 * Watches leases and commits across every worker of a scenario (one ledger, shared). A commit sent
 * after a newer epoch was granted on its actor must be refused by the store; anything else is a
 * stale writer getting through, which single-writer fencing (DESIGN §2.1) forbids.
 */
export class FencingLedger implements PortObserver {
  readonly applied: AppliedCommit[] = [];
  /** Commits that left after their lease had been taken over, and were refused (the fence held). */
  staleRejected = 0;
  /** Commits that left after their lease had been taken over, and landed anyway. */
  readonly staleAccepted: AppliedCommit[] = [];
  readonly #maxEpoch = new Map<string, number>();
  readonly #staleAtSend = new WeakMap<TurnCommit, boolean>();

  acquired(lease: Lease): void {
    this.#maxEpoch.set(lease.actorId, Math.max(this.#maxEpoch.get(lease.actorId) ?? 0, lease.epoch));
  }

  commitSending(commit: TurnCommit): void {
    // The first attempt sent is the one that writes: the SDK's retry of a commit whose reply was lost
    // carries the same ClientRequestToken and is answered with that first outcome.
    if (this.#staleAtSend.has(commit)) return;
    this.#staleAtSend.set(commit, (this.#maxEpoch.get(commit.lease.actorId) ?? 0) > commit.lease.epoch);
  }

  committed(commit: TurnCommit, outcome: { applied: boolean }): void {
    const entry = {
      actorId: commit.lease.actorId,
      version: commit.version,
      epoch: commit.lease.epoch,
      owner: commit.lease.owner,
    };
    if (outcome.applied) this.applied.push(entry);
    if (this.#staleAtSend.get(commit)) {
      if (outcome.applied) this.staleAccepted.push(entry);
      else this.staleRejected++;
    }
  }

  /**
   * Problems with the commits that landed on an actor: versions must be exactly 1..final, each once
   * (two commits of one version would be a lost update), with epochs never going down.
   */
  problems(actorId: string, finalVersion: number): string[] {
    const commits = this.applied.filter((c) => c.actorId === actorId).sort((a, b) => a.version - b.version);
    const problems: string[] = [];
    commits.forEach((c, i) => {
      if (c.version !== i + 1)
        problems.push(`commit #${i + 1} landed as version ${c.version} (${c.owner}, epoch ${c.epoch})`);
      const previous = commits[i - 1];
      if (previous && c.epoch < previous.epoch) {
        problems.push(
          `version ${c.version} has epoch ${c.epoch}, below version ${previous.version}'s ${previous.epoch}`,
        );
      }
    });
    if (commits.length !== finalVersion)
      problems.push(`${commits.length} commits landed, the record is at version ${finalVersion}`);
    for (const stale of this.staleAccepted) {
      problems.push(
        `a commit of ${stale.owner} (epoch ${stale.epoch}) landed after its lease was taken over`,
      );
    }
    return problems;
  }
}
