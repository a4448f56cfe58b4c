import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from "./emulator-credentials.ts";

/** An event as an EventBridge rule hands it to its Lambda target. */
export interface RuleEvent {
  id: string;
  source: string;
  "detail-type": string;
  time: string;
  detail: unknown;
}

/**
 * EventBridge behind a real EventBridgeClient, for tests that need signals to reach their
 * subscribers on the aws backend without moto: PutEvents accepts every entry and keeps it, and
 * `take()` hands out the events a rule would deliver (each entry once, with a fresh event id, as a
 * rule does), for the test to pass to the Lambda entry.
 */
export class FakeEventBridge {
  readonly client: EventBridgeClient;
  /** Every entry put, in order. */
  readonly entries: PutEventsRequestEntry[] = [];
  #delivered = 0;
  #ids = 0;

  constructor() {
    this.client = new EventBridgeClient({
      region: EMULATOR_REGION,
      credentials: { ...EMULATOR_CREDENTIALS },
    });
    mockClient(this.client)
      .on(PutEventsCommand)
      .callsFake(async (input: { Entries?: PutEventsRequestEntry[] }) => {
        const entries = input.Entries ?? [];
        this.entries.push(...entries);
        return { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: `event-${++this.#ids}` })) };
      });
  }

  /** The events of the entries put since the last take, as the rule delivers them. */
  take(): RuleEvent[] {
    const fresh = this.entries.slice(this.#delivered);
    this.#delivered = this.entries.length;
    return fresh.map((entry) => ({
      id: `event-${++this.#ids}`,
      source: entry.Source ?? "",
      "detail-type": entry.DetailType ?? "",
      time: new Date().toISOString(),
      detail: JSON.parse(entry.Detail ?? "null"),
    }));
  }
}
