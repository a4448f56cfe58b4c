import type { InvokeArgs } from "./commands/invoke.ts";

type FlagName = "sync" | "async" | "json";
type ValueName = "data" | "stage" | "actor" | "id";
const FLAGS: Record<string, FlagName> = { "--sync": "sync", "--async": "async", "--json": "json" };
const VALUES: Record<string, ValueName> = {
  "--data": "data",
  "-d": "data",
  "--stage": "stage",
  "-s": "stage",
  "--actor": "actor",
  "--id": "id",
};

/**
 * The arguments after `invoke`, parsed without commander (loading it takes about 10 ms), in the
 * forms commander reads the same way: one or two operands, each option at most once, and each
 * value option followed by its value as the next argument (taken as is, as commander does, even
 * "-"). Anything else — --help, --data=x, an unknown or repeated option, a missing value or
 * operand — is undefined: commander parses it and explains.
 */
export function parseInvokeArgv(argv: readonly string[]): InvokeArgs | undefined {
  const operands: string[] = [];
  const flags: Partial<Record<FlagName, true>> = {};
  const values: Partial<Record<ValueName, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const flag = FLAGS[arg];
    const value = VALUES[arg];
    if (arg.length < 2 || !arg.startsWith("-")) operands.push(arg);
    else if (flag && !flags[flag]) flags[flag] = true;
    else if (value && values[value] === undefined && i + 1 < argv.length) values[value] = argv[++i];
    else return undefined;
  }
  const [actorId, handler, ...extra] = operands;
  if (actorId === undefined || extra.length > 0) return undefined;
  const { data, stage, actor, id } = values;
  return { actorId, handler, data, stage, actor, id, sync: flags.sync, async: flags.async, json: flags.json };
}
