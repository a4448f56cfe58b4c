import * as clack from "@clack/prompts";

export interface SelectOption<T extends string> {
  value: T;
  label: string;
  hint?: string;
}

/** Interactive questions. Without a TTY `interactive` is false and commands use flags or defaults. */
export interface Prompts {
  readonly interactive: boolean;
  select<T extends string>(message: string, options: SelectOption<T>[], initial?: T): Promise<T>;
  text(message: string, initial: string): Promise<string>;
  confirm(message: string, initial: boolean): Promise<boolean>;
}

class PromptCancelledError extends Error {
  constructor() {
    super("cancelled");
    this.name = "PromptCancelledError";
  }
}

export { PromptCancelledError };

function unwrap<T>(value: T | symbol): T {
  if (typeof value === "symbol" || clack.isCancel(value)) throw new PromptCancelledError();
  return value;
}

export function createPrompts(interactive: boolean): Prompts {
  return {
    interactive,
    async select(message, options, initial) {
      const choice = await clack.select({
        message,
        options: options.map((o) => ({ value: o.value, label: o.label, hint: o.hint })),
        initialValue: initial,
      } as Parameters<typeof clack.select>[0]);
      return unwrap(choice) as (typeof options)[number]["value"];
    },
    async text(message, initial) {
      const value = await clack.text({ message, placeholder: initial, defaultValue: initial });
      return unwrap<string>(value) || initial;
    },
    async confirm(message, initial) {
      return unwrap<boolean>(await clack.confirm({ message, initialValue: initial }));
    },
  };
}
