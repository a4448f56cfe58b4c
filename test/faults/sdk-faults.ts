import type { HandlerExecutionContext, MetadataBearer, MiddlewareStack } from "@smithy/types";
import { hang, type ProcessLife } from "./crash.ts";
import { callScope, type FaultErrors, type FaultInjector, type OpKind } from "./fault-injector.ts";
import type { InFlight } from "./port-faults.ts";

export type AwsService = "dynamodb" | "sqs" | "scheduler" | "eventbridge";

/** Every SDK command sent, in order: the proof that a refusal happened before any AWS call. */
export class SdkCalls {
  readonly calls: { service: AwsService; command: string; op: OpKind }[] = [];

  get count(): number {
    return this.calls.length;
  }

  /** Calls made since a mark (the length at that moment). */
  since(mark: number): { service: AwsService; command: string; op: OpKind }[] {
    return this.calls.slice(mark);
  }
}

export interface SdkFaultOptions {
  service: AwsService;
  injector?: FaultInjector | undefined;
  calls?: SdkCalls | undefined;
  inFlight?: InFlight | undefined;
  /**
   * "client": outside the SDK's retries, so every fault reaches the adapter (the default).
   * "wire": per attempt, inside the retries, so the SDK's own retry (and DynamoDB's
   * ClientRequestToken on commits) must absorb throttling and lost replies.
   */
  layer?: "client" | "wire";
  /** The process the commands are sent from: each command is a seam where it can die (see crash.ts). */
  life?: ProcessLife | undefined;
}

interface StackClient<I extends object, O extends MetadataBearer> {
  middlewareStack: MiddlewareStack<I, O>;
}

/**
 * Adds fault injection and call counting to an AWS SDK v3 client. Which runtime operation a command
 * serves comes from the port call that issued it (the wrapped ports put it in `callScope`), so the
 * same rules ("commit", "acquire") apply here and on the local backend's ports.
 */
export function installSdkFaults<I extends object, O extends MetadataBearer>(
  client: StackClient<I, O>,
  options: SdkFaultOptions,
): void {
  const { service, injector, calls, inFlight, life } = options;
  const name = `durableFaults-${service}`;
  // Counting wraps everything else: one call per command, however many attempts it takes.
  client.middlewareStack.add(
    (next, context: HandlerExecutionContext) => async (args) => {
      const op: OpKind = callScope.getStore()?.op ?? "other";
      const command = context.commandName ?? "unknown";
      calls?.calls.push({ service, command, op });
      return lived(life, service, command, async () => {
        inFlight?.begin(op);
        try {
          return await next(args);
        } finally {
          inFlight?.end(op);
        }
      });
    },
    { step: "initialize", priority: "high", name: `${name}-calls` },
  );
  const faulted = async <A extends { input: I }, R>(
    args: A,
    context: HandlerExecutionContext,
    next: (args: A) => Promise<R>,
  ): Promise<R> => {
    const scope = callScope.getStore();
    const call = { op: scope?.op ?? "other", args: args.input, command: context.commandName };
    await injector?.before(call);
    // The request leaves now, after any stall: the moment a stale-lease check must look at.
    scope?.beforeSend?.();
    const output = await next(args);
    injector?.after(call);
    return output;
  };
  if (options.layer === "wire") {
    client.middlewareStack.add((next, context) => (args) => faulted(args, context, next), {
      step: "finalizeRequest",
      priority: "low",
      name: `${name}-wire`,
    });
  } else {
    client.middlewareStack.add((next, context) => (args) => faulted(args, context, next), {
      step: "initialize",
      priority: "low",
      name: `${name}-client`,
    });
  }
}

/**
 * The same faults and counting for a client whose `send` is stubbed, where no middleware runs:
 * FakeScheduler's SchedulerClient (aws-sdk-client-mock replaces `send`).
 */
export function instrumentSend<C extends object>(client: C, options: Omit<SdkFaultOptions, "layer">): C {
  const { service, injector, calls, inFlight, life } = options;
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property !== "send" || typeof value !== "function") return value;
      return async (command: { input?: unknown }, ...rest: unknown[]) => {
        const scope = callScope.getStore();
        const op: OpKind = scope?.op ?? "other";
        const call = { op, args: command.input, command: command.constructor.name };
        calls?.calls.push({ service, command: call.command, op });
        return lived(life, service, call.command, async () => {
          inFlight?.begin(op);
          try {
            await injector?.before(call);
            scope?.beforeSend?.();
            const output: unknown = await value.apply(target, [command, ...rest]);
            injector?.after(call);
            return output;
          } finally {
            inFlight?.end(op);
          }
        });
      };
    },
  });
}

/** One command as two seams of the process: before it leaves, after its answer (or error) arrives. */
async function lived<T>(
  life: ProcessLife | undefined,
  service: AwsService,
  command: string,
  send: () => Promise<T>,
): Promise<T> {
  const call = `${service}.${command.replace(/Command$/, "")}`;
  if (life?.pass("sdk", call, "before")) return hang();
  let outcome: { value: T } | { error: unknown };
  try {
    outcome = { value: await send() };
  } catch (error) {
    outcome = { error };
  }
  if (life?.pass("sdk", call, "after")) return hang();
  if ("error" in outcome) throw outcome.error;
  return outcome.value;
}

/** Errors shaped like the SDK's: the adapter must classify them as it would the real ones. */
export const sdkErrors: FaultErrors = {
  before: (op) =>
    Object.assign(new Error(`injected: the service failed before handling ${op} (500)`), {
      name: "InternalServerError",
      $fault: "server",
      $metadata: { httpStatusCode: 500 },
    }),
  throttle: (op) =>
    Object.assign(new Error(`injected: ${op} was throttled`), {
      name: "ThrottlingException",
      $fault: "client",
      $metadata: { httpStatusCode: 400 },
      $retryable: { throttling: true },
    }),
  ambiguous: (op) =>
    Object.assign(new Error(`injected: the reply to ${op} was lost after the service applied it`), {
      name: "TimeoutError",
      code: "ETIMEDOUT",
    }),
  // What DynamoDB cancels a transaction with when another one touched its items.
  conflict: (op) =>
    Object.assign(new Error(`injected: ${op} was cancelled by a concurrent transaction`), {
      name: "TransactionCanceledException",
      $fault: "client",
      $metadata: { httpStatusCode: 400 },
      CancellationReasons: [{ Code: "None" }, { Code: "TransactionConflict" }],
    }),
};
