import type { UnparkResult } from "../runtime/core/fabric.ts";
import type { InvokeRequest, InvokeResponse } from "../runtime/core/invoker.ts";
import type { JsonValue } from "../runtime/core/json.ts";
import type { ActorRecord } from "../runtime/ports/actor-store.ts";
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

export interface ActorSummaryLine {
  actorId: string;
  actorType: string | null;
  version: number;
  updatedAt: number;
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
  list(): Promise<ActorSummaryLine[]>;
  /** Clears a parked actor through a fenced turn and runs the messages that waited, in order. */
  unpark(actorId: string, actorType?: string): Promise<UnparkResult>;
  close(): void;
}

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
  const { fabric, ports } = local;
  return {
    description: describeLocalTarget(project),
    kind: "local",
    invoke: (request) => fabric.invoke(request),
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
    list: () => ports.store.listActors(),
    unpark: (actorId, actorType) => fabric.unpark(actorId, actorType),
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
