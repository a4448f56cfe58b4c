import { runRedrive } from "../../runtime/adapters/aws/lambda-operations.ts";
import { describeLocalTarget, openLocalFabric } from "../local-fabric.ts";
import type { Project } from "../project.ts";
import { LocalDeadLetters } from "./local-dead-letters.ts";
import type { DlqTarget, DlqTargetOptions } from "./target.ts";

/**
 * The local fabric's dead letters. A redrive runs in this process on the project's actors, the same
 * checks and Fabric.redrive call the function makes for a stage (runRedrive).
 */
export async function openLocalDlq(project: Project, options: DlqTargetOptions): Promise<DlqTarget> {
  const local = options.fabric ? await openLocalFabric(project) : undefined;
  // The project's runtime opens (creates, migrates) the file before the dead-letter table is read.
  const ports =
    local?.ports ??
    project.local.openLocalPorts({ path: project.dbPath, durability: project.config.dev.durability });
  let deadLetters: LocalDeadLetters;
  try {
    deadLetters = new LocalDeadLetters(project.dbPath);
  } catch (error) {
    ports.close();
    throw error;
  }
  return {
    description: describeLocalTarget(project),
    letters: async () => deadLetters.list(),
    read: (actorId) => ports.store.read(actorId),
    async redrive(event) {
      if (!local) throw new Error("local dlq target opened without a fabric cannot redrive");
      return runRedrive(event, local.fabric);
    },
    async deliverSignal() {
      throw new Error("the local fabric has no signal DLQ: its failed signal routes are actor letters");
    },
    async remove(letters) {
      deadLetters.remove(letters);
      return [];
    },
    async close() {
      deadLetters.close();
      ports.close();
    },
  };
}
