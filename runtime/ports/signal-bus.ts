import type { JsonValue } from "./values.ts";

export interface Signal {
  id: string;
  source: string;
  type: string;
  detail: JsonValue;
  at: number;
}

/** Publishes signals (EventBridge events on AWS); subscribers are routed by the fabric. */
export interface SignalBus {
  publish(signals: readonly Signal[]): Promise<void>;
}
