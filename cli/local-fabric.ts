import type { LocalPorts } from "../runtime/adapters/local/index.ts";
import type { Fabric } from "../runtime/core/fabric.ts";
import type { InvokeRequest } from "../runtime/core/invoker.ts";
import type { TurnLogEntry } from "../runtime/core/turn.ts";
import type { Project } from "./project.ts";
import { callFailure, turnLogWriter } from "./turn-log.ts";

export interface LocalFabric {
  fabric: Fabric;
  ports: LocalPorts;
  /** fabric.invoke, with a failed call also written to .durable/turns.log for `durable logs`. */
  invoke: Fabric["invoke"];
  close(): void;
}

/**
 * The embedded fabric on the project's .durable/local.db. Any number of CLI processes may open it
 * at once (invoke, state, dev): leases and SQLite transactions keep them safe.
 */
export async function openLocalFabric(
  project: Project,
  options: {
    onTurn?: (entry: TurnLogEntry) => void;
    writeLog?: (line: string) => void;
    fresh?: boolean;
  } = {},
): Promise<LocalFabric> {
  const actors = await project.loadActors(options.fresh);
  const ports = project.local.openLocalPorts({
    path: project.dbPath,
    durability: project.config.dev.durability,
  });
  const logTurn = turnLogWriter(project.root);
  const fabric = new project.runtime.Fabric({
    ports,
    actors,
    owner: `cli-${process.pid}`,
    onTurn: (entry) => {
      logTurn(entry);
      options.onTurn?.(entry);
    },
    writeLog: options.writeLog,
    routeSignals: true,
  });
  const invoke = async (request: InvokeRequest) => {
    try {
      return await fabric.invoke(request);
    } catch (error) {
      logTurn(callFailure({ ...request, mode: request.mode ?? "sync" }, error));
      throw error;
    }
  };
  return { fabric, ports, invoke: invoke as Fabric["invoke"], close: () => ports.close() };
}

export function describeLocalTarget(project: Project): string {
  return `local fabric (${project.dbPath.slice(project.root.length + 1)})`;
}
