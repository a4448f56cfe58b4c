import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { SerializedError } from "../../runtime/core/errors.ts";
import { CliError } from "../errors.ts";
import type { Project } from "../project.ts";

/** An actor the scan found behind its code. */
export interface BehindActor {
  actorId: string;
  actorType: string;
  schema: number;
}

/** Counts of what the migration did so far. */
export interface MigrateCounts {
  migrated: number;
  /** Found behind, then current by the time its turn ran (a call migrated it first). */
  current: number;
  absent: number;
  ahead: number;
  /** A migration threw: the actor is parked. */
  failed: number;
  /** The turn failed (nothing written); a later run tries again. */
  errors: number;
}

export interface Checkpoint {
  format: 1;
  /** The code's schema per actor type: a checkpoint of other code is not resumed. */
  schemas: Record<string, number>;
  startedAt: string;
  scan: { cursor: string | undefined; done: boolean; scanned: number; readUnits: number; behind: number };
  /** How many of the behind list have been handled, in order. */
  done: number;
  counts: MigrateCounts;
  /** The actors that failed or errored (the first hundred): a resumed run tries them again first. */
  problems: Problem[];
}

export interface Problem {
  actorId: string;
  actorType: string;
  status: "failed" | "errors";
  error?: SerializedError | undefined;
}

export function emptyCounts(): MigrateCounts {
  return { migrated: 0, current: 0, absent: 0, ahead: 0, failed: 0, errors: 0 };
}

/**
 * Where `durable migrate` keeps its place in `.durable/migrate/<target>/`: checkpoint.json (written
 * whole, by rename) and behind.jsonl (the actors the scan found, appended page by page). The
 * checkpoint counts the lines it vouches for, so lines a crash appended after the last checkpoint
 * are dropped on resume and their page is scanned again.
 */
export class CheckpointFiles {
  readonly dir: string;
  readonly #checkpoint: string;
  readonly #behind: string;

  constructor(project: Project, key: string) {
    this.dir = join(project.root, ".durable", "migrate", key);
    this.#checkpoint = join(this.dir, "checkpoint.json");
    this.#behind = join(this.dir, "behind.jsonl");
  }

  read(): { checkpoint: Checkpoint; behind: BehindActor[] } | undefined {
    if (!existsSync(this.#checkpoint)) return undefined;
    try {
      const checkpoint = JSON.parse(readFileSync(this.#checkpoint, "utf8")) as Checkpoint;
      if (checkpoint.format !== 1) throw new Error(`format ${String(checkpoint.format)}`);
      const lines = existsSync(this.#behind) ? readFileSync(this.#behind, "utf8").split("\n") : [];
      const behind = lines.slice(0, checkpoint.scan.behind).map((line) => JSON.parse(line) as BehindActor);
      if (behind.length < checkpoint.scan.behind) throw new Error("behind.jsonl is shorter than recorded");
      writeFileSync(this.#behind, behind.map((b) => `${JSON.stringify(b)}\n`).join(""));
      return { checkpoint, behind };
    } catch (cause) {
      throw new CliError("MIGRATE_CHECKPOINT_INVALID", `the saved migration in ${this.dir} is not readable`, {
        hint: "run durable migrate --restart to start over (a migrated actor is never migrated again)",
        cause,
      });
    }
  }

  start(checkpoint: Checkpoint): void {
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(this.#behind, "");
    this.save(checkpoint);
  }

  append(actors: readonly BehindActor[]): void {
    if (actors.length > 0) appendFileSync(this.#behind, actors.map((a) => `${JSON.stringify(a)}\n`).join(""));
  }

  save(checkpoint: Checkpoint): void {
    const tmp = `${this.#checkpoint}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(checkpoint, null, 2)}\n`);
    renameSync(tmp, this.#checkpoint);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
