import type { LocalPorts } from "../../runtime/adapters/local/index.ts";
import type { Fabric } from "../../runtime/core/fabric.ts";
import { VersionFeed } from "../dev/version-feed.ts";
import { LocalDeadLetters } from "../dlq/local-dead-letters.ts";
import { openLocalFabric } from "../local-fabric.ts";
import type { Project } from "../project.ts";
import { localTarget } from "../targets.ts";
import { type InspectorSource, typeInfos } from "./source.ts";

export interface LocalFabricHandle {
  ports: LocalPorts;
  /** The fabric that runs invokes and unparks (`durable dev` swaps it when actors reload). */
  fabric: () => Fabric;
}

/**
 * The local fabric for the inspector, on ports and a fabric already open: `durable dev` passes its
 * own, and serves the page's live updates from its own `/events`.
 */
export function localInspectorSource(project: Project, local: LocalFabricHandle): InspectorSource {
  let deadLetters: LocalDeadLetters | undefined;
  return {
    target: localTarget(project, { ...local, close: () => undefined }),
    types: async () => typeInfos(local.fabric().registry.definitions),
    async deadLetters(actorId) {
      // Opened on first use: the project's runtime has created and migrated the file by then.
      deadLetters ??= new LocalDeadLetters(project.dbPath);
      return deadLetters.list().filter((letter) => letter.actorId === actorId);
    },
    async close() {
      deadLetters?.close();
    },
  };
}

/** `durable inspect` on the local fabric: its own handle on the file, and its own version feed. */
export async function openLocalInspectorSource(project: Project): Promise<InspectorSource> {
  const local = await openLocalFabric(project);
  const source = localInspectorSource(project, { ports: local.ports, fabric: () => local.fabric });
  const feed = new VersionFeed(local.ports.store);
  return {
    ...source,
    events: (actorId, signal) => feed.stream(actorId, signal),
    async close() {
      feed.close();
      await source.close();
      local.close();
    },
  };
}
