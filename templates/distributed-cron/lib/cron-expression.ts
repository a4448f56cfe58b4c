import { InvalidInputError } from "../durable/index.ts";

/**
 * Five-field cron expressions, evaluated in UTC (Lambda's clock has no time zone worth trusting):
 *
 *   ┌ minute 0-59 ┌ hour 0-23 ┌ day of month 1-31 ┌ month 1-12 or JAN-DEC ┌ day of week 0-7 or SUN-SAT (0 and 7 are Sunday)
 *   *             *           *                   *                      *
 *
 * Each field takes `*`, values, lists (`1,15`), ranges (`9-17`) and steps (`*\/15`, `0-30/10`,
 * `5/20`). As in Vixie cron, when both day fields are restricted a day matching either runs.
 * Macros: @yearly @monthly @weekly @daily @hourly.
 */
export type CronSchedule = {
  minutes: number[];
  hours: number[];
  days: number[];
  months: number[];
  weekdays: number[];
  /** Whether the day-of-month / day-of-week field was `*` (then only the other one restricts days). */
  anyDay: boolean;
  anyWeekday: boolean;
};

const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

type Field = { name: string; min: number; max: number; names?: string[]; namesFrom?: number };
const FIELDS: Field[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: "day of week", min: 0, max: 7, names: WEEKDAYS, namesFrom: 0 },
];

const MINUTE = 60_000;
/** How far ahead to look for a match: over four years, so a Feb 29 schedule is found. */
const HORIZON_MS = 5 * 366 * 24 * 60 * MINUTE;

export function parseCron(expression: string): CronSchedule {
  if (typeof expression !== "string") throw new InvalidInputError("a cron expression must be a string");
  const text = MACROS[expression.trim().toLowerCase()] ?? expression.trim();
  const parts = text.split(/\s+/);
  if (parts.length !== 5) {
    throw new InvalidInputError(
      `cron expression ${JSON.stringify(expression)} needs 5 fields, has ${parts.length}`,
      {
        hint: 'minute hour day-of-month month day-of-week, e.g. "*/15 9-17 * * MON-FRI"',
      },
    );
  }
  const sets = parts.map((part, i) => parseField(part, FIELDS[i] as Field, expression));
  const [minutes, hours, days, months, weekdays] = sets as [number[], number[], number[], number[], number[]];
  const schedule: CronSchedule = {
    minutes,
    hours,
    days,
    months,
    weekdays: [...new Set(weekdays.map((d) => d % 7))].sort((a, b) => a - b),
    anyDay: parts[2]?.startsWith("*") ?? true,
    anyWeekday: parts[4]?.startsWith("*") ?? true,
  };
  nextRun(schedule, 0, expression); // refuses schedules that never match, like "0 0 30 2 *"
  return schedule;
}

function parseField(text: string, field: Field, expression: string): number[] {
  const bad = (why: string) =>
    new InvalidInputError(`cron expression ${JSON.stringify(expression)}: ${field.name} "${text}" ${why}`);
  const value = (token: string): number => {
    const named = field.names?.indexOf(token.toUpperCase()) ?? -1;
    if (named >= 0) return named + (field.namesFrom ?? 0);
    if (!/^\d+$/.test(token)) throw bad(`has "${token}", not a number`);
    const n = Number(token);
    if (n < field.min || n > field.max) throw bad(`is outside ${field.min}-${field.max}`);
    return n;
  };
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const [range = "", stepText, extra] = part.split("/");
    if (extra !== undefined || range === "") throw bad("is malformed");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1 || !/^\d+$/.test(stepText ?? "1"))
      throw bad(`has a bad step "${stepText}"`);
    let lo: number;
    let hi: number;
    if (range === "*") [lo, hi] = [field.min, field.max];
    else if (range.includes("-")) {
      const [a = "", b = "", more] = range.split("-");
      if (more !== undefined) throw bad("is malformed");
      [lo, hi] = [value(a), value(b)];
      if (lo > hi) throw bad(`has a backwards range ${range}`);
    } else {
      lo = value(range);
      // "5/20" means every 20 starting at 5.
      hi = stepText === undefined ? lo : field.max;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return [...out].sort((a, b) => a - b);
}

/** The first time strictly after `after` (epoch ms) that the schedule matches, on a whole minute. */
export function nextRun(schedule: CronSchedule, after: number, expression = "schedule"): number {
  const has = (list: number[], v: number) => list.includes(v);
  let t = Math.floor(after / MINUTE) * MINUTE + MINUTE;
  const end = t + HORIZON_MS;
  while (t < end) {
    const d = new Date(t);
    const [year, month, day, hour] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours()];
    if (!has(schedule.months, month + 1)) {
      t = Date.UTC(year, month + 1, 1);
    } else if (!dayMatches(schedule, day, d.getUTCDay())) {
      t = Date.UTC(year, month, day + 1);
    } else if (!has(schedule.hours, hour)) {
      t = Date.UTC(year, month, day, hour + 1);
    } else if (!has(schedule.minutes, d.getUTCMinutes())) {
      t += MINUTE;
    } else {
      return t;
    }
  }
  throw new InvalidInputError(`cron expression ${JSON.stringify(expression)} never runs`);
}

function dayMatches(schedule: CronSchedule, day: number, weekday: number): boolean {
  const byDay = schedule.days.includes(day);
  const byWeekday = schedule.weekdays.includes(weekday);
  if (schedule.anyDay && schedule.anyWeekday) return true;
  if (schedule.anyDay) return byWeekday;
  if (schedule.anyWeekday) return byDay;
  return byDay || byWeekday;
}

/**
 * The scheduled times from `first` up to `now`, for a fire that came late: how many were due and
 * the latest of them. Capped, so a clock that jumped years ahead still answers quickly.
 */
export function dueTimes(
  schedule: CronSchedule,
  first: number,
  now: number,
  cap = 10_000,
): { count: number; latest: number } {
  let latest = first;
  let count = 1;
  for (let t = nextRun(schedule, first); t <= now && count < cap; t = nextRun(schedule, t)) {
    latest = t;
    count += 1;
  }
  return { count, latest };
}
