import type {
  BatchResultErrorEntry,
  SendMessageBatchCommandInput,
  SendMessageBatchCommandOutput,
  SendMessageBatchRequestEntry,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { rngFor } from "./seed.ts";

/**
 * Real SQS may accept some entries of a SendMessageBatch and fail others in the same 200 response
 * (listed in `Failed` with SenderFault false); fauxqs always accepts all of them. This models it
 * faithfully: only the accepted entries are sent on to the emulator, so a message reported failed
 * really was not sent and an accepted one really was, and the response lists both.
 */
export interface BatchFailureRule {
  /** Share of entries failed, each drawn on its own. */
  rate: number;
  /** Entries to fail for certain, by position in the request, when `when` matches (e.g. [0]). */
  positions?: readonly number[];
  /** Only requests to queues whose URL passes (default: all). */
  when?: (input: SendMessageBatchCommandInput) => boolean;
  /** Stop after this many failed entries. */
  limit?: number;
}

export interface FailedEntry {
  queueUrl: string;
  entry: SendMessageBatchRequestEntry;
}

export class SqsBatchFaults {
  /** Every entry reported failed (and not sent), in order. */
  readonly failed: FailedEntry[] = [];
  /** Requests that had at least one entry failed. */
  partialRequests = 0;
  enabled = true;
  #random: () => number;

  constructor(
    label: string,
    private readonly rule: BatchFailureRule,
    seed: number,
  ) {
    this.#random = rngFor(seed, `${label}/sqs-batch`);
  }

  install(client: SQSClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== "SendMessageBatchCommand" || !this.enabled) return next(args);
        const input = args.input as SendMessageBatchCommandInput;
        const entries = input.Entries ?? [];
        const failing = this.#pick(input, entries);
        if (failing.size === 0) return next(args);
        this.partialRequests++;
        const accepted = entries.filter((e) => !failing.has(e));
        const failed: BatchResultErrorEntry[] = [...failing].map((entry) => {
          this.failed.push({ queueUrl: input.QueueUrl ?? "", entry });
          return {
            Id: entry.Id,
            SenderFault: false,
            Code: "InternalError",
            Message: "injected: the service failed to store this entry; retry it",
          };
        });
        if (accepted.length === 0) {
          const output: SendMessageBatchCommandOutput = { Successful: [], Failed: failed, $metadata: {} };
          return { output, response: {} };
        }
        const result = await next({ ...args, input: { ...input, Entries: accepted } });
        const output = result.output as SendMessageBatchCommandOutput;
        return { ...result, output: { ...output, Failed: [...(output.Failed ?? []), ...failed] } };
      },
      { step: "initialize", priority: "low", name: "durableFaults-sqs-partial-batch" },
    );
  }

  #pick(
    input: SendMessageBatchCommandInput,
    entries: readonly SendMessageBatchRequestEntry[],
  ): Set<SendMessageBatchRequestEntry> {
    const failing = new Set<SendMessageBatchRequestEntry>();
    if (this.rule.when && !this.rule.when(input)) return failing;
    for (const [i, entry] of entries.entries()) {
      // Drawn for every entry, even over the limit, so later decisions do not shift.
      const drawn = this.#random() < this.rule.rate;
      const certain = this.rule.positions?.includes(i) ?? false;
      if (!drawn && !certain) continue;
      if (this.rule.limit !== undefined && this.failed.length + failing.size >= this.rule.limit) continue;
      failing.add(entry);
    }
    return failing;
  }
}
