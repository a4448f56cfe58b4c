import type { CliContext } from "./context.ts";

/** The styles the CLI uses; each returns its text unchanged when colours are off. */
export interface Colors {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

// SGR codes written out rather than a colour library: every command loads this file, and
// picocolors' tty import alone cost more than a tenth of an invoke's start-up.
const STYLES: Record<keyof Colors, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

export function createColors(enabled: boolean): Colors {
  const style = ([open, close]: [number, number]) =>
    enabled ? (text: string) => `\x1b[${open}m${text}\x1b[${close}m` : (text: string) => text;
  return {
    bold: style(STYLES.bold),
    dim: style(STYLES.dim),
    red: style(STYLES.red),
    green: style(STYLES.green),
    yellow: style(STYLES.yellow),
    cyan: style(STYLES.cyan),
  };
}

export interface Spinner {
  update(text: string): void;
  stop(text?: string): void;
}

/**
 * How a command talks: human lines on stderr/stdout with colours only on a TTY without NO_COLOR,
 * or exactly one JSON document on stdout with --json.
 */
export class Output {
  readonly json: boolean;
  readonly c: Colors;
  readonly #ctx: CliContext;

  constructor(ctx: CliContext, options: { json?: boolean | undefined } = {}) {
    this.#ctx = ctx;
    this.json = options.json === true;
    const colour = ctx.isTTY && !this.json && ctx.env.NO_COLOR === undefined && ctx.env.TERM !== "dumb";
    this.c = createColors(colour || ctx.env.FORCE_COLOR === "1");
  }

  /** A progress or context line (which target, what is happening); silent in JSON mode. */
  info(text: string): void {
    if (!this.json) this.#ctx.stderr.write(`${text}\n`);
  }

  success(text: string): void {
    this.info(`${this.c.green("✔")} ${text}`);
  }

  warn(text: string): void {
    if (!this.json) this.#ctx.stderr.write(`${this.c.yellow("!")} ${text}\n`);
  }

  /** The command's result: `human` as text, or `data` as JSON. */
  result(data: unknown, human?: string): void {
    if (this.json) this.#ctx.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    else this.#ctx.stdout.write(`${human ?? JSON.stringify(data, null, 2)}\n`);
  }

  /** One line of a stream (state tail, logs): JSON lines in JSON mode. */
  line(data: unknown, human: string): void {
    this.#ctx.stdout.write(this.json ? `${JSON.stringify(data)}\n` : `${human}\n`);
  }

  /** Says which fabric a command uses, e.g. "local fabric (.durable/local.db)". */
  target(description: string): void {
    this.info(this.c.dim(`→ ${description}`));
  }

  spinner(text: string): Spinner {
    if (this.json || !this.#ctx.isTTY) {
      this.info(text);
      return { update: (t) => this.info(t), stop: (t) => t && this.success(t) };
    }
    const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
    let i = 0;
    let current = text;
    const draw = () =>
      this.#ctx.stderr.write(`\r\x1b[2K${this.c.cyan(frames[i++ % frames.length] ?? "")} ${current}`);
    draw();
    const timer = setInterval(draw, 80);
    return {
      update: (t) => {
        current = t;
      },
      stop: (t) => {
        clearInterval(timer);
        this.#ctx.stderr.write("\r\x1b[2K");
        if (t) this.success(t);
      },
    };
  }
}
