import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import type { TurnLogEntry } from "../runtime/core/turn.ts";
import { abortableSleep } from "./targets.ts";

export interface StageLogSource {
  region: string;
  functionName: string;
  endpoint?: string | undefined;
}

/**
 * Follows a deployed function's turn lines in CloudWatch Logs by polling FilterLogEvents from now
 * on (it works everywhere, emulators included, unlike the streaming live-tail API), keeping only
 * JSON turn lines, optionally of one actor.
 */
export async function followStageTurns(
  source: StageLogSource,
  actorId: string | undefined,
  onEntry: (entry: TurnLogEntry & { time: string }) => void,
  signal: AbortSignal,
  options: { pollMs?: number; client?: CloudWatchLogsClient; startTime?: number } = {},
): Promise<void> {
  const client =
    options.client ??
    new CloudWatchLogsClient({
      region: source.region,
      ...(source.endpoint ? { endpoint: source.endpoint } : {}),
    });
  const logGroupName = `/aws/lambda/${source.functionName}`;
  const filterPattern = actorId ? `{ $.type = "turn" && $.actorId = "${actorId}" }` : `{ $.type = "turn" }`;
  let startTime = options.startTime ?? Date.now();
  const seen = new Set<string>();
  while (!signal.aborted) {
    let nextToken: string | undefined;
    do {
      const page = await client
        .send(new FilterLogEventsCommand({ logGroupName, filterPattern, startTime, nextToken }), {
          abortSignal: signal,
        })
        .catch((error: Error) => {
          if (signal.aborted) return { events: [], nextToken: undefined };
          if (error.name === "ResourceNotFoundException") return { events: [], nextToken: undefined };
          throw error;
        });
      for (const event of page.events ?? []) {
        if (!event.eventId || seen.has(event.eventId)) continue;
        seen.add(event.eventId);
        startTime = Math.max(startTime, event.timestamp ?? startTime);
        const entry = parseTurn(event.message ?? "", event.timestamp);
        if (entry && (!actorId || entry.actorId === actorId)) onEntry(entry);
      }
      nextToken = page.nextToken;
    } while (nextToken && !signal.aborted);
    await abortableSleep(options.pollMs ?? 1000, signal);
  }
}

/** Lambda prefixes console lines with a timestamp, request id and level; the JSON is the rest. */
function parseTurn(
  message: string,
  timestamp: number | undefined,
): (TurnLogEntry & { time: string }) | undefined {
  const start = message.indexOf("{");
  if (start === -1) return undefined;
  try {
    const parsed = JSON.parse(message.slice(start)) as TurnLogEntry & { time?: string };
    if (parsed.type !== "turn") return undefined;
    return { ...parsed, time: parsed.time ?? new Date(timestamp ?? Date.now()).toISOString() };
  } catch {
    return undefined;
  }
}
