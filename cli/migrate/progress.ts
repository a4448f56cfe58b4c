import type { CliContext } from "../context.ts";
import type { Output } from "../output.ts";

/** JSON progress lines come at most this often (the last of each phase always comes). */
const JSON_EVERY_MS = 250;

/**
 * How `durable migrate` shows where it is: one line redrawn in place on a terminal, or JSON lines
 * on stdout (`{"type":"progress",...}`) without one or with --json, for scripts and CI logs.
 */
export class MigrateProgress {
  readonly #ctx: CliContext;
  readonly #out: Output;
  readonly #now: () => number;
  #lastLine = 0;
  #drawn = false;
  #started: { at: number; done: number } | undefined;

  constructor(ctx: CliContext, out: Output, now: () => number = Date.now) {
    this.#ctx = ctx;
    this.#out = out;
    this.#now = now;
  }

  /** A message of its own (the plan, a resume, an interruption): a JSON line, or a line on stderr. */
  event(type: string, data: Record<string, unknown>, human: string): void {
    this.#clear();
    if (this.#out.json) this.#ctx.stdout.write(`${JSON.stringify({ type, ...data })}\n`);
    else this.#ctx.stderr.write(`${human}\n`);
  }

  scanning(scanned: number, behind: number, readUnits: number, final = false): void {
    this.#emit(
      final,
      { phase: "scan", scanned, behind, readUnits: round(readUnits) },
      `scanning: ${scanned} record(s) read, ${behind} behind their code, ${round(readUnits)} read units`,
    );
  }

  migrating(done: number, total: number, final = false): void {
    const now = this.#now();
    this.#started ??= { at: now, done };
    const seconds = (now - this.#started.at) / 1000;
    const rate = seconds > 0 ? (done - this.#started.done) / seconds : 0;
    const etaSeconds = rate > 0 ? Math.ceil((total - done) / rate) : null;
    const percent = total === 0 ? 100 : (done / total) * 100;
    this.#emit(
      final,
      { phase: "migrate", done, total, percent: round(percent), ratePerSecond: round(rate), etaSeconds },
      `migrating ${done}/${total} (${percent.toFixed(0)}%) · ${rate.toFixed(1)}/s · ETA ${etaSeconds === null ? "…" : formatSeconds(etaSeconds)}`,
    );
  }

  /** Ends the redrawn line, so what follows starts on its own. */
  finish(): void {
    this.#clear();
  }

  #emit(final: boolean, data: Record<string, unknown>, human: string): void {
    const now = this.#now();
    if (this.#out.json) {
      if (!final && now - this.#lastLine < JSON_EVERY_MS) return;
      this.#lastLine = now;
      this.#ctx.stdout.write(`${JSON.stringify({ type: "progress", ...data })}\n`);
      return;
    }
    this.#ctx.stderr.write(`\r\x1b[2K${this.#out.c.cyan("›")} ${human}`);
    this.#drawn = true;
  }

  #clear(): void {
    if (!this.#drawn) return;
    this.#ctx.stderr.write("\r\x1b[2K");
    this.#drawn = false;
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60
    ? `${minutes} min ${seconds % 60} s`
    : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
