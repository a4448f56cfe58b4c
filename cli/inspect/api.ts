import { randomUUID } from "node:crypto";
import type { UnparkResult } from "../../runtime/core/fabric.ts";
import { assertActorId } from "../../runtime/core/limits.ts";
import { readBody } from "../dev/request-body.ts";
import { letterView } from "../dlq/letters.ts";
import { CliError } from "../errors.ts";
import { fleetEntryView, fleetQuery } from "../fleet-query.ts";
import { checkMessageId } from "../message-id.ts";
import { isoTime, recordView } from "../views.ts";
import { assetResponse, pageResponse, SAFE_HEADERS } from "./assets.ts";
import { checkCsrf } from "./csrf.ts";
import { invokeBody, unparkBody } from "./request-bodies.ts";
import type { InspectorSource } from "./source.ts";

/**
 * Answers an inspector request, or undefined when the path is not the inspector's. `holdOpen`
 * lifts the server's idle timeout once a request is in: an event stream is quiet between
 * versions, and an invoke may run longer.
 */
export type InspectorHandler = (
  request: Request,
  url: URL,
  holdOpen: () => void,
) => Promise<Response | undefined>;

export interface InspectorOptions {
  /** The token every state-changing request must send in `x-csrf-token`. */
  csrfToken: string;
}

/** Held messages shown per actor; the page says when more wait behind them. */
const WAITING_SHOWN = 50;
const ACTOR_ROUTE = /^\/api\/actors\/([^/]+)(?:\/(versions|dead-letters|invoke|unpark))?\/?$/;

/**
 * The inspector's routes, the same under `durable dev` and `durable inspect`:
 *   GET  /                                the page (its meta tags carry the CSRF token and the target)
 *   GET  /inspector/<file>                its scripts and styles
 *   GET  /api/info                        target, kind, how it updates live, actor types
 *   GET  /api/actors?type&parked&prefix&limit&cursor   a page of the fleet
 *   GET  /api/actors/:id                  record, next timer, waiting messages
 *   GET  /api/actors/:id/versions?before  kept versions, newest first
 *   GET  /api/actors/:id/dead-letters     its dead letters with their errors
 *   POST /api/actors/:id/invoke           { handler, input, mode, messageId, confirm }
 *   POST /api/actors/:id/unpark           { confirm }
 *   GET  /events?actor=id                 one server-sent event per committed version (local)
 * POSTs need the CSRF token and a JSON body; on a stage, `confirm` must repeat the actor id.
 */
export function inspectorHandler(source: InspectorSource, options: InspectorOptions): InspectorHandler {
  const { target } = source;
  const json = (body: unknown, status = 200) => Response.json(body, { status, headers: SAFE_HEADERS });
  return async (request, url, holdOpen) => {
    const path = url.pathname;
    const get = request.method === "GET";
    if (get && path === "/") {
      return pageResponse({ csrf: options.csrfToken, target: target.description, kind: target.kind });
    }
    if (get && path.startsWith("/inspector/")) return assetResponse(path.slice("/inspector/".length));
    if (get && path === "/events" && source.events) {
      holdOpen();
      return source.events(url.searchParams.get("actor") ?? undefined, request.signal);
    }
    if (get && path === "/api/info") {
      return json({
        target: target.description,
        kind: target.kind,
        // Locally every commit is an event (`durable dev`'s /events, or this server's); a stage is polled.
        live: target.kind === "local" ? "events" : "poll",
        types: await source.types(),
      });
    }
    if (get && path === "/api/actors") {
      const page = await target.list(
        fleetQuery({
          type: url.searchParams.get("type"),
          parked: url.searchParams.get("parked") === "true",
          prefix: url.searchParams.get("prefix"),
          limit: url.searchParams.get("limit"),
          cursor: url.searchParams.get("cursor"),
        }),
      );
      return json({ actors: page.actors.map(fleetEntryView), next: page.next });
    }
    const match = ACTOR_ROUTE.exec(path);
    if (!match) return undefined;
    const actorId = decodeSegment(match[1] ?? "");
    assertActorId(actorId);
    const action = match[2];
    if (get && action === undefined) {
      const record = await target.read(actorId);
      if (!record) throw notFound(actorId);
      const waiting = record.waiting?.count ? await target.waiting(actorId, WAITING_SHOWN) : undefined;
      return json({
        record: recordView(record),
        nextTimerAt: nextTimer(record.timers),
        waiting: {
          complete: waiting?.complete ?? true,
          messages: (waiting?.held ?? []).map((h) => ({
            position: h.position,
            messageId: h.message.id,
            handler: h.message.handler,
            kind: h.message.kind,
            input: h.message.input ?? null,
            sentAt: h.message.sentAt === undefined ? null : isoTime(h.message.sentAt),
          })),
        },
      });
    }
    if (get && action === "versions") {
      const before = url.searchParams.get("before");
      const beforeVersion = before === null ? undefined : Number(before);
      if (beforeVersion !== undefined && !(Number.isInteger(beforeVersion) && beforeVersion > 0)) {
        throw new CliError("INVALID_INPUT", `before=${before} is not a version number`, {
          hint: "pass the oldest version shown, e.g. before=12",
        });
      }
      const { versions, kept, more } = await target.versions(actorId, beforeVersion);
      return json({
        more,
        kept,
        versions: versions.map((v) => ({ version: v.version, at: isoTime(v.at), state: v.state })),
      });
    }
    if (get && action === "dead-letters") {
      const letters = await source.deadLetters(actorId);
      return json({ letters: letters.map((l) => ({ ...letterView(l), body: l.body })) });
    }
    if (request.method === "POST" && (action === "invoke" || action === "unpark")) {
      checkCsrf(request, options.csrfToken);
      const body = await readBody(request);
      holdOpen();
      const stage = target.kind === "stage";
      if (action === "invoke") {
        const input = invokeBody(body, actorId, stage);
        const messageId =
          input.messageId === undefined ? randomUUID() : checkMessageId(input.messageId, "messageId");
        return json(
          await target.invoke({
            actorId,
            handler: input.handler,
            input: input.input,
            mode: input.mode,
            messageId,
          }),
        );
      }
      unparkBody(body, actorId, stage);
      const record = await target.read(actorId);
      if (!record) throw notFound(actorId);
      if (!record.parked && !record.waiting?.count) {
        throw new CliError("NOT_PARKED", `${actorId} is not parked and has no messages waiting`, {
          hint: "reload the page: it shows Unpark only for a parked actor",
        });
      }
      return json(unparkView(await target.unpark(actorId, record.actorType ?? undefined)));
    }
    throw new CliError("METHOD_NOT_ALLOWED", `${request.method} ${path} is not supported`, {
      hint: "the inspector's state-changing routes are POST /api/actors/:id/invoke and /unpark",
    });
  };
}

function nextTimer(timers: Record<string, { at: number }>): string | null {
  const times = Object.values(timers).map((t) => t.at);
  return times.length === 0 ? null : isoTime(Math.min(...times));
}

function unparkView(result: UnparkResult) {
  const iso = (p: UnparkResult["parkedOn"]) => p && { ...p, at: isoTime(p.at) };
  return { ...result, parkedOn: iso(result.parkedOn), parkedAgain: iso(result.parkedAgain) };
}

function notFound(actorId: string): CliError {
  return new CliError("ACTOR_NOT_FOUND", `${actorId} has no state yet`, {
    hint: "an actor appears once its first turn commits",
  });
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch (cause) {
    throw new CliError("INVALID_URL", `the actor id in the path is not valid percent-encoding`, {
      hint: "percent-encode actor ids, e.g. with encodeURIComponent",
      cause,
    });
  }
}
