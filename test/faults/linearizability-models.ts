/**
 * Sequential specifications for the linearizability checker. Models are deterministic on
 * purpose: an op whose outcome is unknown is then simply re-run by the checker, so every
 * model is total on ambiguous ops without extra code.
 */

/** A deterministic sequential object: what one op does to the state, and what it answers. */
export interface Model<S, I, O> {
  readonly name: string;
  init(): S;
  apply(state: S, input: I): { state: S; output: O };
  sameOutput(a: O, b: O): boolean;
  /** Canonical text of a state: two states with the same key behave the same from then on. */
  stateKey(state: S): string;
  /** For failure reports; JSON when absent. */
  describe?(input: I, output: O | undefined): string;
}

export type CounterInput = { op: "increment"; by: number } | { op: "read" };
/** Both ops answer the counter's value: increment the new one, read the current one. */
export type CounterOutput = number;

export function counterModel(initial = 0): Model<number, CounterInput, CounterOutput> {
  return {
    name: "counter",
    init: () => initial,
    apply(state, input) {
      const next = input.op === "increment" ? state + input.by : state;
      return { state: next, output: next };
    },
    sameOutput: (a, b) => a === b,
    stateKey: (state) => String(state),
    describe(input, output) {
      const call = input.op === "increment" ? `increment(${input.by})` : "read()";
      return `${call} → ${output === undefined ? "?" : output}`;
    },
  };
}

export type RegisterValue = string | number | null;
export type RegisterInput =
  | { op: "write"; value: RegisterValue }
  | { op: "read" }
  | { op: "cas"; expected: RegisterValue; value: RegisterValue };
/** write answers true, read the value, cas whether it swapped. */
export type RegisterOutput = RegisterValue | boolean;

export function registerModel(
  initial: RegisterValue = null,
): Model<RegisterValue, RegisterInput, RegisterOutput> {
  return {
    name: "register",
    init: () => initial,
    apply(state, input) {
      switch (input.op) {
        case "write":
          return { state: input.value, output: true };
        case "read":
          return { state, output: state };
        case "cas": {
          const swapped = Object.is(state, input.expected);
          return { state: swapped ? input.value : state, output: swapped };
        }
      }
    },
    sameOutput: (a, b) => Object.is(a, b),
    // JSON keeps 1 and "1" apart, which String() would not.
    stateKey: (state) => JSON.stringify(state),
    describe(input, output) {
      const shown = output === undefined ? "?" : JSON.stringify(output);
      switch (input.op) {
        case "write":
          return `write(${JSON.stringify(input.value)}) → ${shown}`;
        case "read":
          return `read() → ${shown}`;
        case "cas":
          return `cas(${JSON.stringify(input.expected)}, ${JSON.stringify(input.value)}) → ${shown}`;
      }
    },
  };
}
