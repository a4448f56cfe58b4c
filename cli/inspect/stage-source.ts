import type { EnvSource } from "../deploy/aws-environment.ts";
import { openStageDlq } from "../dlq/stage-dlq.ts";
import type { Project } from "../project.ts";
import { openStageTarget } from "../stage-target.ts";
import { type InspectorSource, typeInfos } from "./source.ts";

/** How long the inspector hides a stage's dead letters from other readers while it reads them. */
const LOOK_SECONDS = 10;

/**
 * A deployed stage for the inspector, read with the operator's credentials: the fleet index and
 * state items (DynamoDB), the DLQs (received, then released at once), invokes and unparks through
 * the stage's function. No live stream: the page polls.
 */
export async function openStageInspectorSource(
  project: Project,
  stage: string,
  env: EnvSource,
): Promise<InspectorSource> {
  const target = await openStageTarget(project, stage, env);
  return {
    target,
    types: async () => typeInfos(await project.loadActors()),
    async deadLetters(actorId) {
      const dlq = openStageDlq(project, stage, env);
      try {
        return (await dlq.letters(LOOK_SECONDS)).filter((letter) => letter.actorId === actorId);
      } finally {
        await dlq.close();
      }
    },
    async close() {
      target.close();
    },
  };
}
