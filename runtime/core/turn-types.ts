import type { FabricPorts } from "../ports/index.ts";
import type { ActorMessage, ParkedRecord } from "../ports/messages.ts";
import type { MigrationRun } from "./apply-messages.ts";
import type { SyncCall } from "./context.ts";
import type { DurableError, SerializedError } from "./errors.ts";
import type { JsonValue } from "./json.ts";
import type { ActorRegistry } from "./registry.ts";
import type { TurnLogEntry } from "./turn-report.ts";
import type { WarmActors } from "./warm-actors.ts";

/** What a turn needs, gets asked and answers: the shapes runTurn (turn.ts) works with. */
export interface TurnSettings {
  /** Identifies this process; each turn appends a sequence so concurrent turns never share a lease. */
  owner: string;
  leaseMs: number;
  /** How long to wait for a lease another turn holds. */
  leaseWaitMs: number;
  /** Re-runs after a version conflict or a lost lease before giving up. */
  maxRetries: number;
  /** Epoch ms after which the turn must not commit (a Lambda's remaining time, minus a margin). */
  deadline?: number | undefined;
  /** Queue deliveries beyond this count park the actor when they fail. */
  maxReceives: number;
}

export interface TurnEnv {
  ports: FabricPorts;
  registry: ActorRegistry;
  call: SyncCall;
  settings: TurnSettings;
  onTurn?: ((entry: TurnLogEntry) => void) | undefined;
  /** Where handler `ctx.log` lines go. */
  writeLog?: ((line: string) => void) | undefined;
  /** This process's warm actors (the grace after a commit); absent: every turn acquires and loads. */
  warm?: WarmActors | undefined;
}

export type MessageOutcome =
  | { messageId: string; status: "applied"; result: JsonValue; version: number }
  | {
      messageId: string;
      status: "duplicate";
      result?: JsonValue | undefined;
      error?: SerializedError | undefined;
      version: number;
    }
  | { messageId: string; status: "failed"; error: DurableError; parked: boolean }
  /** Not attempted: behind an earlier failure of its actor; it comes back with it. */
  | { messageId: string; status: "skipped" }
  /** Kept in the actor's waiting list (the actor is parked, or held messages are ahead of it). */
  | { messageId: string; status: "held" };

export interface TurnResult {
  actorId: string;
  outcomes: MessageOutcome[];
  /** The actor's version after the turn. */
  version: number;
  committed: boolean;
  /** Held messages this turn took off the waiting list (applied, or dead-lettered when one parked the actor). */
  drained: number;
  /** Held messages still waiting after the turn. */
  waiting: number;
  parked: ParkedRecord | null;
  /** The schema of the state after the turn (committed, or only in memory for a turn that wrote nothing). */
  schema: number;
  /** The migration this turn ran (null: none), with its error if it failed. */
  migration: MigrationRun | null;
}

export interface TurnOptions {
  /** A synchronous call (one message): it runs on a parked actor too and never parks or holds. */
  sync?: boolean;
  /** Clear the parked flag (an operator's unpark); the waiting list then drains in order. */
  unpark?: boolean;
  /** Run no handler; park on the first pending message if this failure ended its last permitted delivery. */
  parkWith?: DurableError;
  /** The actor type when there are no messages to name it (unpark, sweep). */
  actorType?: string;
  /**
   * Dead letters to run again: put at the head of the actor's waiting list (ahead of every later
   * message), unless already applied or already there. They run when the actor is not parked.
   */
  redrive?: readonly ActorMessage[];
  /** Run no handler: bring the stored state to the code's schema and commit it (`durable migrate`). */
  migrate?: boolean;
}
