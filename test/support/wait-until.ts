export interface WaitUntilOptions {
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  /** Stops waiting early with this error, e.g. when the server process exited. */
  abort?: () => Error | undefined;
}

/** Polls `probe` until it resolves true; the last probe error is kept as the cause of a timeout. */
export async function waitUntil(probe: () => Promise<boolean>, options: WaitUntilOptions): Promise<void> {
  const started = Date.now();
  const interval = options.intervalMs ?? 25;
  let lastError: unknown;
  for (;;) {
    const aborted = options.abort?.();
    if (aborted) throw aborted;
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() - started > options.timeoutMs) {
      throw new Error(`${options.what} did not become ready within ${options.timeoutMs} ms`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
