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

export class PromptCancelledError extends Error {
  readonly code = "CANCELLED";
  readonly userFacing = true;

  constructor() {
    super("cancelled");
    this.name = "PromptCancelledError";
  }
}

// Loaded on the first question: most commands never ask one, and every command pays its imports.
const clack = () => import("@clack/prompts");

async function unwrap<T>(value: T | symbol): Promise<T> {
  if (typeof value === "symbol" || (await clack()).isCancel(value)) throw new PromptCancelledError();
  return value;
}

export function createPrompts(interactive: boolean): Prompts {
  return {
    interactive,
    async select(message, options, initial) {
      const { select } = await clack();
      const choice = await select({
        message,
        options: options.map((o) => ({ value: o.value, label: o.label, hint: o.hint })),
        initialValue: initial,
      } as Parameters<typeof select>[0]);
      return (await unwrap(choice)) as (typeof options)[number]["value"];
    },
    async text(message, initial) {
      const { text } = await clack();
      const value = await text({ message, placeholder: initial, defaultValue: initial });
      return (await unwrap<string>(value)) || initial;
    },
    async confirm(message, initial) {
      const { confirm } = await clack();
      return unwrap<boolean>(await confirm({ message, initialValue: initial }));
    },
  };
}
