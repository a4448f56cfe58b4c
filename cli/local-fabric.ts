import type { LocalPorts } from "../runtime/adapters/local/index.ts";
import type { Fabric } from "../runtime/core/fabric.ts";
import type { TurnLogEntry } from "../runtime/core/turn.ts";
import type { Project } from "./project.ts";
import { turnLogWriter } from "./turn-log.ts";

export interface LocalFabric {
  fabric: Fabric;
  ports: LocalPorts;
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
    largeState: true,
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
  return { fabric, ports, close: () => ports.close() };
}

export function describeLocalTarget(project: Project): string {
  return `local fabric (${project.dbPath.slice(project.root.length + 1)})`;
}
