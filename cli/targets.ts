import type { LocalPorts } from "../runtime/adapters/local/index.ts";
import type { Fabric, UnparkResult } from "../runtime/core/fabric.ts";
import type { InvokeRequest, InvokeResponse } from "../runtime/core/invoker.ts";
import type { JsonValue } from "../runtime/core/json.ts";
import type { ActorRecord, WaitingPage } from "../runtime/ports/actor-store.ts";
import type { FleetPage, FleetQuery } from "../runtime/ports/fleet-index.ts";
import type { CliContext } from "./context.ts";
import { describeLocalTarget, openLocalFabric } from "./local-fabric.ts";
import { openProject, type Project } from "./project.ts";

/** One committed version, as `state tail` prints it. */
export interface VersionEvent {
  actorId: string;
  version: number;
  state: JsonValue;
  at: number;
}

/** Where invoke and state act: the local fabric, or a deployed stage (`--stage`). */
export interface ActorTarget {
  /** Printed by every command, e.g. "local fabric (.durable/local.db)" or "stage prod (eu-west-1)". */
  readonly description: string;
  readonly kind: "local" | "stage";
  invoke(request: InvokeRequest): Promise<InvokeResponse>;
  read(actorId: string): Promise<ActorRecord | null>;
  /** Calls `onVersion` for every version committed after now, until `signal` aborts. */
  follow(actorId: string, onVersion: (event: VersionEvent) => void, signal: AbortSignal): Promise<void>;
  /** A page of actors from the fleet index (parked first, then by type, newest first). */
  list(query: FleetQuery): Promise<FleetPage>;
  /** Clears a parked actor through a fenced turn and runs the messages that waited, in order. */
  unpark(actorId: string, actorType?: string): Promise<UnparkResult>;
  /** The head of an actor's waiting list (messages held behind a park), in order. */
  waiting(actorId: string, limit: number): Promise<WaitingPage>;
  /**
   * Committed versions newest first, below `beforeVersion` when given. The local fabric keeps an
   * actor's last 1,000; a stage's State table keeps only the latest (`kept: "latest"`).
   */
  versions(
    actorId: string,
    beforeVersion?: number,
  ): Promise<{ versions: VersionEvent[]; kept: "history" | "latest"; more: boolean }>;
  close(): void;
}

/** Versions the inspector reads per request. */
const VERSIONS_PER_PAGE = 20;

export async function openTarget(
  ctx: Pick<CliContext, "cwd" | "env">,
  stage: string | undefined,
): Promise<ActorTarget> {
  const project = await openProject(ctx.cwd);
  if (stage !== undefined) {
    const { openStageTarget } = await import("./stage-target.ts");
    return openStageTarget(project, stage, ctx.env);
  }
  return openLocalTarget(project);
}

async function openLocalTarget(project: Project): Promise<ActorTarget> {
  const local = await openLocalFabric(project);
  return localTarget(project, { ports: local.ports, fabric: () => local.fabric, close: local.close });
}

/** The local fabric as a target, on ports and a fabric someone else opened (`durable dev` passes its own). */
export function localTarget(
  project: Project,
  local: { ports: LocalPorts; fabric: () => Fabric; close: () => void },
): ActorTarget {
  const { ports } = local;
  return {
    description: describeLocalTarget(project),
    kind: "local",
    invoke: (request) => local.fabric().invoke(request),
    read: (actorId) => {
      assertId(project, actorId);
      return ports.store.read(actorId);
    },
    async follow(actorId, onVersion, signal) {
      assertId(project, actorId);
      let after = await ports.store.latestSeq();
      while (!signal.aborted) {
        const entries = await ports.store.history({ actorId, afterSeq: after, limit: 500 });
        for (const e of entries) {
          after = e.seq;
          onVersion({ actorId: e.actorId, version: e.version, state: e.state, at: e.at });
        }
        if (entries.length === 0) await abortableSleep(100, signal);
      }
    },
    list: (query) => ports.fleet.list(query),
    unpark: (actorId, actorType) => local.fabric().unpark(actorId, actorType),
    waiting: (actorId, limit) => {
      assertId(project, actorId);
      return ports.store.loadWaiting(actorId, limit);
    },
    async versions(actorId, beforeVersion) {
      assertId(project, actorId);
      const entries = await ports.store.versions(actorId, { beforeVersion, limit: VERSIONS_PER_PAGE });
      return {
        versions: entries.map(({ seq: _seq, actorType: _type, ...v }) => v),
        kept: "history",
        more: entries.length === VERSIONS_PER_PAGE,
      };
    },
    close: local.close,
  };
}

function assertId(project: Project, actorId: string): void {
  // The project's own runtime raises its typed InvalidActorIdError, as invoke does.
  project.runtime.assertActorId(actorId);
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
