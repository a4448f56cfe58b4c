import { REDRIVE_BATCH } from "../../runtime/adapters/aws/invoke-event.ts";
import type { RedriveResult } from "../../runtime/core/fabric.ts";
import type { JsonObject } from "../../runtime/core/json.ts";
import type { ActorMessage } from "../../runtime/ports/messages.ts";
import { CliError } from "../errors.ts";
import { byAge, type Letter } from "./letters.ts";
import type { DlqTarget } from "./target.ts";

/** Bytes of messages one redrive batch carries at most (one turn holds them all; one Lambda payload carries them). */
const BATCH_BYTES = 1024 * 1024;

export interface RedriveOptions {
  /** Unpark an actor whose poison message is among the redriven ones. */
  unpark: boolean;
}

export interface FailureView {
  code: string;
  message: string;
  hint?: string | undefined;
}

/** What became of one actor's letters, one failed signal route, or one signal event. */
export interface RedriveOutcome {
  kind: "actor" | "route" | "event";
  /** Where the messages went (a failed route: the actor the route picked now; a signal event: none). */
  actorId: string | null;
  messageIds: string[];
  signalType: string | null;
  result: RedriveResult | null;
  /** Signal events: actor messages the function routed the signal into. */
  routed: number | null;
  unparked: boolean;
  /** What the operator still has to do, when something is left. */
  next: string | null;
  /** Older letters of the same actor left in the DLQ: they will run after these. */
  olderLeft: string[];
  /** Redriven, but still in the DLQ (their removal failed): redriving them again applies nothing twice. */
  notRemoved: string[];
  error: FailureView | null;
}

export interface RedriveReport {
  outcomes: RedriveOutcome[];
  /** Letters that cannot be redriven, and why. */
  skipped: { messageId: string; why: string }[];
}

/**
 * Puts dead letters back so that each actor's order holds: an actor's letters go back together, in
 * the order they were dead-lettered, ahead of its later messages (Fabric.redrive), and each leaves
 * its DLQ only after the redrive that carried it committed. A crash in between leaves it there;
 * redriving it again applies nothing twice. Actors go one after another, oldest letter first.
 */
export async function redriveInOrder(
  target: DlqTarget,
  selected: readonly Letter[],
  all: readonly Letter[],
  options: RedriveOptions,
): Promise<RedriveReport> {
  const report: RedriveReport = { outcomes: [], skipped: [] };
  const units: (() => Promise<RedriveOutcome>)[] = [];
  const byActor = new Map<string, Letter[]>();
  for (const letter of byAge(selected)) {
    const path = letter.path;
    if (path.kind === "none") report.skipped.push({ messageId: letter.id, why: path.why });
    else if (path.kind === "route")
      units.push(() => redriveRoute(target, letter, path.message, path.signalType, all));
    else if (path.kind === "event") units.push(() => redriveEvent(target, letter, path.event));
    else {
      const actorId = path.message.actorId;
      const group = byActor.get(actorId);
      if (group) group.push(letter);
      else {
        const letters = [letter];
        byActor.set(actorId, letters);
        units.push(() => redriveActor(target, actorId, letters, all, options));
      }
    }
  }
  for (const unit of units) report.outcomes.push(await unit());
  return report;
}

async function redriveActor(
  target: DlqTarget,
  actorId: string,
  letters: readonly Letter[],
  all: readonly Letter[],
  options: RedriveOptions,
): Promise<RedriveOutcome> {
  const messages = uniqueMessages(letters);
  const outcome = emptyOutcome("actor", actorId, messages);
  const chosen = new Set(messages.map((m) => m.id));
  const oldest = letters[0]?.at ?? 0;
  outcome.olderLeft = all
    .filter((l) => l.path.kind === "actor" && l.actorId === actorId && l.at < oldest && !chosen.has(l.id))
    .map((l) => l.id);
  const record = await target.read(actorId);
  const poison = record?.parked?.messageId;
  outcome.unparked = options.unpark && poison !== undefined && chosen.has(poison);
  const batches = inBatches(messages);
  for (const [i, batch] of batches.entries()) {
    const result = await attempt(outcome, () =>
      target.redrive({
        type: "durable.redrive",
        actorId,
        ...(batch[0]?.actorType ? { actorType: batch[0].actorType } : {}),
        messages: batch,
        // Only with the last batch: clearing the park earlier would run the waiting messages
        // before the batches still to come.
        unpark: outcome.unparked && i === batches.length - 1,
      }),
    );
    if (!result) {
      outcome.unparked = false;
      break;
    }
    outcome.result = merge(outcome.result, result);
    const ids = new Set(batch.map((m) => m.id));
    await removeAfterCommit(
      target,
      outcome,
      letters.filter((l) => ids.has(l.id)),
    );
  }
  outcome.next = nextStep(outcome, poison, all);
  return outcome;
}

async function redriveRoute(
  target: DlqTarget,
  letter: Letter,
  message: ActorMessage,
  signalType: string,
  all: readonly Letter[],
): Promise<RedriveOutcome> {
  const outcome = emptyOutcome("route", null, [message]);
  outcome.signalType = signalType;
  const result = await attempt(outcome, () =>
    target.redrive({
      type: "durable.redrive",
      actorId: message.actorId,
      messages: [message],
      route: { signalType },
    }),
  );
  if (result) {
    outcome.result = result;
    outcome.actorId = result.actorId;
    await removeAfterCommit(target, outcome, [letter]);
    outcome.next = nextStep(outcome, undefined, all);
  }
  return outcome;
}

async function redriveEvent(target: DlqTarget, letter: Letter, event: JsonObject): Promise<RedriveOutcome> {
  const outcome = emptyOutcome("event", null, []);
  outcome.messageIds = [letter.id];
  outcome.signalType = letter.signalType;
  const delivered = await attempt(outcome, () => target.deliverSignal(event));
  if (delivered) {
    outcome.routed = delivered.routed;
    await removeAfterCommit(target, outcome, [letter]);
    if (delivered.routed === 0) {
      outcome.next =
        "no actor received it: nothing subscribes to it, or a route failed again (durable dlq list shows such a route as a letter of its own)";
    }
  }
  return outcome;
}

/** Runs one redrive; a user-facing failure is recorded on the outcome (the other actors still go), a bug is thrown. */
async function attempt<T>(outcome: RedriveOutcome, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    const view = failureView(error);
    if (!view) throw error;
    outcome.error = view;
    return undefined;
  }
}

async function removeAfterCommit(
  target: DlqTarget,
  outcome: RedriveOutcome,
  letters: Letter[],
): Promise<void> {
  try {
    const kept = await target.remove(letters);
    outcome.notRemoved.push(...kept.map((l) => l.id));
  } catch (error) {
    if (!failureView(error)) throw error;
    outcome.notRemoved.push(...letters.map((l) => l.id));
  }
}

function nextStep(
  outcome: RedriveOutcome,
  poison: string | undefined,
  all: readonly Letter[],
): string | null {
  const { result, actorId } = outcome;
  if (!result) return null;
  const parked = result.parked;
  if (parked && outcome.unparked) {
    return `parked again: message ${parked.messageId} failed (${parked.error.message}); it is back in the DLQ`;
  }
  if (parked && parked.messageId === poison && outcome.messageIds.includes(poison)) {
    return `still parked; run durable state unpark ${actorId} or redrive with --unpark`;
  }
  if (parked) {
    const inDlq = all.some((l) => l.id === parked.messageId);
    return inDlq
      ? `still parked on message ${parked.messageId}, which was not redriven here; redrive it with durable dlq redrive ${parked.messageId} --unpark`
      : `still parked on message ${parked.messageId}; run durable state unpark ${actorId}`;
  }
  if (result.stillWaiting > 0) {
    return `${result.stillWaiting} message(s) still waiting: they run on the actor's next turn (durable dev's sweep, or every minute on a stage); durable state get ${actorId} shows the actor`;
  }
  return null;
}

function emptyOutcome(
  kind: RedriveOutcome["kind"],
  actorId: string | null,
  messages: readonly ActorMessage[],
): RedriveOutcome {
  return {
    kind,
    actorId,
    messageIds: messages.map((m) => m.id),
    signalType: null,
    result: null,
    routed: null,
    unparked: false,
    next: null,
    olderLeft: [],
    notRemoved: [],
    error: null,
  };
}

function uniqueMessages(letters: readonly Letter[]): ActorMessage[] {
  const seen = new Map<string, ActorMessage>();
  for (const l of letters) if (l.path.kind === "actor" && !seen.has(l.id)) seen.set(l.id, l.path.message);
  return [...seen.values()];
}

function inBatches(messages: readonly ActorMessage[]): ActorMessage[][] {
  const batches: ActorMessage[][] = [];
  let current: ActorMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = JSON.stringify(m).length;
    if (current.length === REDRIVE_BATCH || (current.length > 0 && bytes + size > BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

function merge(previous: RedriveResult | null, next: RedriveResult): RedriveResult {
  if (!previous) return next;
  return {
    ...next,
    redriven: previous.redriven + next.redriven,
    alreadyApplied: previous.alreadyApplied + next.alreadyApplied,
    drained: previous.drained + next.drained,
  };
}

/** A CLI or runtime error the operator can act on (any copy of the runtime: recognised by shape). */
export function failureView(error: unknown): FailureView | undefined {
  if (!(error instanceof Error)) return undefined;
  const e = error as Error & { code?: unknown; hint?: unknown; userFacing?: unknown };
  if (typeof e.code !== "string" || !(error instanceof CliError || e.userFacing === true)) return undefined;
  return { code: e.code, message: e.message, ...(typeof e.hint === "string" ? { hint: e.hint } : {}) };
}
