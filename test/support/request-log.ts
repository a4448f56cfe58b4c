/** One SDK command as a client sent it: its name and when it was in flight. */
export interface LoggedRequest {
  command: string;
  start: number;
  end: number;
}

interface MiddlewareClient {
  middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<unknown>,
        context: { commandName?: string },
      ) => (args: unknown) => Promise<unknown>,
      options: { step: "initialize"; name: string },
    ): void;
  };
}

export interface RequestLog {
  readonly requests: LoggedRequest[];
  commands(): string[];
  /**
   * The longest chain of requests each of which started after the previous one ended: the number
   * of sequential round trips the calls cost (parallel requests count once).
   */
  sequentialRoundTrips(): number;
  clear(): void;
}

/**
 * Records every command a client sends (once per command, however often the SDK retries it), to
 * check request budgets against a real emulator instead of a mock.
 * @example const log = logRequests(dynamodb); await store.commit(c); expect(log.commands()).toEqual(["TransactWriteItemsCommand"]);
 */
export function logRequests(client: object): RequestLog {
  const requests: LoggedRequest[] = [];
  (client as MiddlewareClient).middlewareStack.add(
    (next, context) => async (args) => {
      const start = performance.now();
      try {
        return await next(args);
      } finally {
        requests.push({ command: context.commandName ?? "unknown", start, end: performance.now() });
      }
    },
    { step: "initialize", name: `requestLog${Math.random()}` },
  );
  return {
    requests,
    commands: () => [...requests].sort((a, b) => a.start - b.start).map((r) => r.command),
    sequentialRoundTrips: () => {
      const sorted = [...requests].sort((a, b) => a.end - b.end);
      const depth = new Map<LoggedRequest, number>();
      for (const r of sorted) {
        const before = sorted.filter((p) => p.end <= r.start).map((p) => depth.get(p) ?? 1);
        depth.set(r, 1 + Math.max(0, ...before));
      }
      return Math.max(0, ...depth.values());
    },
    clear: () => {
      requests.length = 0;
    },
  };
}
