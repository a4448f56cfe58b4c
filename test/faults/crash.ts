/**
 * Process death, modelled in one test process. A Lambda is killed at its timeout or runs out of
 * memory at any await, and a `durable dev` process can be killed the same way: whatever the turn
 * had left to do (the relay, the outbox clear, the acknowledgement, a catch block's lease release)
 * never runs, and its in-flight requests are abandoned. No emulator can do this to our own code,
 * so every port call and every AWS SDK command of a worker passes a boundary ("seam") here, before
 * it leaves and after it returns; a crash at a seam kills the worker: that call, and every later one
 * of the same worker, returns a promise that never settles, so no code after the seam runs and
 * nothing more leaves the process. A request already sent may still land, as on a real crash.
 */

export type SeamSide = "before" | "after";

/** A point where a process can die: just before a call leaves, or just after its answer arrives. */
export interface Seam {
  /** "port": a runtime port method; "sdk": one AWS SDK command (all its retries included). */
  layer: "port" | "sdk";
  /** The port method ("commit") or the service and command ("dynamodb.TransactWriteItems"). */
  call: string;
  side: SeamSide;
  /** 1 for the first time this worker passed this layer, call and side, 2 for the second… */
  nth: number;
}

export function seamName(seam: Seam): string {
  return `${seam.side} ${seam.layer} ${seam.call}${seam.nth > 1 ? ` #${seam.nth}` : ""}`;
}

/** A promise that never settles: what an awaited call returns to a process that has died. */
export function hang<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

export type Lived<T> = { crashed: false; value: T } | { crashed: true; reason: string };

/** One simulated process (a worker): the seams it passed, and whether and why it died. */
export class ProcessLife {
  /** Every seam passed, in order (a crash-free rehearsal lists a turn's seams). */
  readonly trace: Seam[] = [];
  /** Where to die; consulted at every seam. */
  crashAt: ((seam: Seam) => boolean) | undefined;
  #counts = new Map<string, number>();
  #reason: string | undefined;
  #died: Promise<string>;
  #die: (reason: string) => void = () => undefined;

  constructor(crashAt?: (seam: Seam) => boolean) {
    this.crashAt = crashAt;
    this.#died = new Promise((resolve) => {
      this.#die = resolve;
    });
  }

  get dead(): boolean {
    return this.#reason !== undefined;
  }

  /** Why the process died, once it has. */
  get reason(): string | undefined {
    return this.#reason;
  }

  /** Settles with the reason when the process dies. */
  get died(): Promise<string> {
    return this.#died;
  }

  /**
   * Records a seam. True when the process is dead (it died here, or earlier): the caller must
   * then return `hang()` instead of going on.
   */
  pass(layer: Seam["layer"], call: string, side: SeamSide): boolean {
    if (this.dead) return true;
    const key = `${layer} ${call} ${side}`;
    const nth = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, nth);
    const seam: Seam = { layer, call, side, nth };
    this.trace.push(seam);
    if (this.crashAt?.(seam)) this.kill(`crashed ${seamName(seam)}`);
    return this.dead;
  }

  /** Kills the process now (a Lambda timeout, an out-of-memory kill). */
  kill(reason: string): void {
    if (this.dead) return;
    this.#reason = reason;
    this.#die(reason);
  }

  /**
   * Awaits work done in this process, or its death, whichever comes first. When the process dies
   * the work is abandoned: it never settles, and nothing after the seam it reached ever runs.
   */
  async run<T>(work: Promise<T>): Promise<Lived<T>> {
    return Promise.race([
      work.then((value): Lived<T> => ({ crashed: false, value })),
      this.#died.then((reason): Lived<T> => ({ crashed: true, reason })),
    ]);
  }
}

/** A crash plan that dies at one named seam (and only there). */
export function atSeam(target: Seam): (seam: Seam) => boolean {
  return (seam) =>
    seam.layer === target.layer &&
    seam.call === target.call &&
    seam.side === target.side &&
    seam.nth === target.nth;
}
