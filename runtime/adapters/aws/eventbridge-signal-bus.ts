import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import { PayloadTooLargeError, RelayFailedError } from "../../core/errors.ts";
import { formatBytes } from "../../core/json.ts";
import { LIMITS } from "../../core/limits.ts";
import type { Signal, SignalBus } from "../../ports/signal-bus.ts";
import { SIGNAL_SOURCE } from "./config.ts";
import { relayError } from "./errors.ts";

export interface EventBridgeSignalBusOptions {
  client: EventBridgeClient;
  busName: string;
}

/** What a signal's event carries in `detail`; rules match on `source` and `detail-type`. */
export interface SignalDetail {
  id: string;
  source: string;
  at: number;
  detail: Signal["detail"];
}

const ATTEMPTS = 3;
/** PutEvents takes 10 entries; keeping a request under 256 KB in total is safe under every documented limit. */
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

/**
 * SignalBus on an EventBridge bus: one event per signal, source SIGNAL_SOURCE, detail-type the
 * signal type. EventBridge does not deduplicate, so a retried entry may arrive twice; the signal
 * id travels in the detail for receivers to drop repeats.
 */
export class EventBridgeSignalBus implements SignalBus {
  constructor(private readonly options: EventBridgeSignalBusOptions) {}

  async publish(signals: readonly Signal[]): Promise<void> {
    if (signals.length === 0) return;
    // Every entry is sized before the first request, so an oversized signal refuses the whole batch.
    const entries = signals.map((signal) => this.entry(signal));
    for (const chunk of chunks(entries)) await this.put(chunk);
  }

  private entry(signal: Signal): { entry: PutEventsRequestEntry; bytes: number } {
    const detail: SignalDetail = {
      id: signal.id,
      source: signal.source,
      at: signal.at,
      detail: signal.detail,
    };
    const entry: PutEventsRequestEntry = {
      EventBusName: this.options.busName,
      Source: SIGNAL_SOURCE,
      DetailType: signal.type,
      Detail: JSON.stringify(detail),
    };
    // EventBridge's own formula: Source + DetailType + Detail (+ Resources and Time, which we do not set).
    const bytes =
      Buffer.byteLength(SIGNAL_SOURCE) +
      Buffer.byteLength(signal.type) +
      Buffer.byteLength(entry.Detail ?? "");
    if (bytes > LIMITS.signalPayloadBytes) {
      throw new PayloadTooLargeError(
        `signal "${signal.type}" from ${signal.source} is ${formatBytes(bytes)}, over the ${formatBytes(LIMITS.signalPayloadBytes)} EventBridge entry limit`,
        {
          hint: "signal less data, or store it elsewhere and signal a reference",
          details: { size: bytes, limit: LIMITS.signalPayloadBytes },
        },
      );
    }
    return { entry, bytes };
  }

  private async put(entries: PutEventsRequestEntry[]): Promise<void> {
    let pending = entries;
    for (let attempt = 1; ; attempt++) {
      let failed: PutEventsRequestEntry[];
      let firstError: string | undefined;
      try {
        const result = await this.options.client.send(new PutEventsCommand({ Entries: pending }));
        if (!result.FailedEntryCount) return;
        // Results line up with the request's entries; a failed one has an ErrorCode.
        const results = result.Entries ?? [];
        failed = pending.filter((_, i) => results[i]?.ErrorCode !== undefined || results[i] === undefined);
        const firstFailure = results.find((r) => r.ErrorCode !== undefined);
        firstError = `${firstFailure?.ErrorCode}: ${firstFailure?.ErrorMessage}`;
      } catch (error) {
        throw relayError(error, `publishing ${pending.length} signal(s) to ${this.options.busName}`);
      }
      if (attempt >= ATTEMPTS || failed.length === 0) {
        throw new RelayFailedError(
          `${failed.length} signal(s) to ${this.options.busName} were refused: ${firstError}`,
          {
            details: { busName: this.options.busName, failed: failed.length },
          },
        );
      }
      pending = failed;
      await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
    }
  }
}

function chunks<T extends { bytes: number; entry: PutEventsRequestEntry }>(
  items: readonly T[],
): PutEventsRequestEntry[][] {
  const out: PutEventsRequestEntry[][] = [];
  let current: PutEventsRequestEntry[] = [];
  let size = 0;
  for (const item of items) {
    if (current.length === MAX_ENTRIES || (current.length > 0 && size + item.bytes > MAX_REQUEST_BYTES)) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(item.entry);
    size += item.bytes;
  }
  if (current.length > 0) out.push(current);
  return out;
}
