import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TempDir extends AsyncDisposable {
  path: string;
}

/**
 * A fresh directory removed when disposed.
 * @example await using dir = tempDir("e2e-");
 */
export function tempDir(prefix = "durable-"): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    async [Symbol.asyncDispose]() {
      rmSync(path, { recursive: true, force: true });
    },
  };
}
