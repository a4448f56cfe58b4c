import { UsageError } from "../errors.ts";

export const DEFAULT_STAGE = "dev";

const STAGE_NAME = /^[a-z][a-z0-9-]{0,30}$/;

export function assertStageName(stage: string): void {
  if (!STAGE_NAME.test(stage)) {
    throw new UsageError(
      `invalid stage name ${JSON.stringify(stage)}`,
      "use 1-31 lowercase letters, digits and -, starting with a letter (e.g. dev, prod, pr-42)",
    );
  }
}

/**
 * A disposable stage: `durable destroy` removes its tables, queues and logs with the stack.
 * "dev", "test" and "pr" stages (alone or with a "-suffix", like dev-alice or pr-42) are the ones
 * people create per person, per CI run or per pull request; every other stage (prod, staging, ...)
 * keeps its data when the stack is destroyed, because losing it cannot be undone.
 */
export function isDevStage(stage: string): boolean {
  return /^(dev|test|pr)(-[a-z0-9-]*)?$/.test(stage);
}
