import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { EventBridgeSignalBus } from "../../runtime/adapters/aws/eventbridge-signal-bus.ts";
import { PayloadTooLargeError, RelayFailedError } from "../../runtime/core/errors.ts";
import type { Signal } from "../../runtime/ports/signal-bus.ts";
import { rejectsWith, uniqueId } from "../contract/contract-support.ts";
import { emulatorClientConfig } from "../support/emulator-credentials.ts";
import { motoServer } from "../support/moto.ts";
import { motoSignalObserver, type SignalObserver } from "../support/moto-signal-observer.ts";
import { logRequests } from "../support/request-log.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});
beforeAll(() => motoServer(), 60_000);

async function observed(): Promise<SignalObserver> {
  const observer = await motoSignalObserver();
  cleanups.push(observer.cleanup);
  return observer;
}

const signal = (source: string, n: number, detail: Signal["detail"] = { n }): Signal => ({
  id: `${source}-s${n}`,
  source,
  type: "counter.changed",
  detail,
  at: 1_700_000_000_000 + n,
});

describe("EventBridgeSignalBus on moto", () => {
  test("publishes 23 signals in three PutEvents calls of at most 10 entries, all delivered by the rule", async () => {
    const observer = await observed();
    const log = logRequests(observer.eventbridge);
    const bus = new EventBridgeSignalBus({ client: observer.eventbridge, busName: observer.busName });
    const source = uniqueId("src");
    const sent = Array.from({ length: 23 }, (_, n) => signal(source, n));
    await bus.publish(sent);
    expect(log.commands()).toEqual(Array(3).fill("PutEventsCommand"));
    const ids = (await observer.published()).map((s) => s.id);
    expect([...ids].sort()).toEqual(sent.map((s) => s.id).sort());
  }, 20_000);

  test("refuses a signal over 256 KB before publishing any of the batch", async () => {
    const observer = await observed();
    const log = logRequests(observer.eventbridge);
    const bus = new EventBridgeSignalBus({ client: observer.eventbridge, busName: observer.busName });
    const source = uniqueId("src");
    const big = signal(source, 2, { blob: "x".repeat(256 * 1024) });
    await rejectsWith(bus.publish([signal(source, 1), big]), PayloadTooLargeError);
    expect(log.requests).toHaveLength(0);
  });
});

// moto never fails single entries of a PutEvents, so partial failures use a mock.
describe("EventBridgeSignalBus partial failures (mocked: the emulator accepts every entry)", () => {
  const mocked = () => {
    const client = new EventBridgeClient(emulatorClientConfig("http://127.0.0.1:9"));
    return { mock: mockClient(client), bus: new EventBridgeSignalBus({ client, busName: "bus" }) };
  };

  test("publishes again only the entries counted in FailedEntryCount", async () => {
    const { mock, bus } = mocked();
    mock
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: "e1" }, { ErrorCode: "InternalFailure", ErrorMessage: "x" }],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e2" }] });
    await bus.publish([signal("s", 1), signal("s", 2)]);
    const sent = mock
      .commandCalls(PutEventsCommand)
      .map((c) => c.args[0].input.Entries?.map((e) => JSON.parse(e.Detail ?? "{}").id));
    expect(sent).toEqual([["s-s1", "s-s2"], ["s-s2"]]);
  });

  test("throws RelayFailedError when an entry keeps failing", async () => {
    const { mock, bus } = mocked();
    mock
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: "ThrottlingException", ErrorMessage: "x" }] });
    const error = await rejectsWith(bus.publish([signal("s", 1)]), RelayFailedError);
    expect(error.message).toContain("ThrottlingException");
    expect(mock.commandCalls(PutEventsCommand)).toHaveLength(3);
  });
});
