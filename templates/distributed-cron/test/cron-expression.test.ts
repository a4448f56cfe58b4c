import { describe, expect, test } from "bun:test";
import { dueTimes, nextRun, parseCron } from "../lib/cron-expression.ts";

const utc = (iso: string) => Date.parse(`${iso}Z`);
const next = (expression: string, after: string) =>
  new Date(nextRun(parseCron(expression), utc(after))).toISOString();

describe("parseCron", () => {
  test("expands stars, lists, ranges and steps", () => {
    const s = parseCron("*/15 9-11 1,15 * *");
    expect(s.minutes).toEqual([0, 15, 30, 45]);
    expect(s.hours).toEqual([9, 10, 11]);
    expect(s.days).toEqual([1, 15]);
    expect(s.months).toHaveLength(12);
  });

  test("a step applies to a range, and a start with a step runs to the field's end", () => {
    expect(parseCron("0-30/10 * * * *").minutes).toEqual([0, 10, 20, 30]);
    expect(parseCron("5/20 * * * *").minutes).toEqual([5, 25, 45]);
  });

  test("month and weekday names work, and 7 is Sunday like 0", () => {
    const s = parseCron("0 0 * JAN-MAR sun,7,Wed");
    expect(s.months).toEqual([1, 2, 3]);
    expect(s.weekdays).toEqual([0, 3]);
  });

  test("macros stand for their five fields", () => {
    expect(parseCron("@hourly")).toEqual(parseCron("0 * * * *"));
    expect(parseCron("@daily")).toEqual(parseCron("0 0 * * *"));
  });

  test.each([
    ["* * * *", "needs 5 fields"],
    ["60 * * * *", "outside 0-59"],
    ["*/0 * * * *", "bad step"],
    ["5-1 * * * *", "backwards range"],
    ["a * * * *", "not a number"],
    ["1,,2 * * * *", "malformed"],
    ["0 0 30 2 *", "never runs"],
  ])("refuses %p (%s)", (expression, message) => {
    expect(() => parseCron(expression)).toThrow(message);
  });
});

describe("nextRun", () => {
  test("is strictly after the given time, on a whole minute", () => {
    expect(next("*/15 * * * *", "2026-01-01T00:07:30")).toBe("2026-01-01T00:15:00.000Z");
    expect(next("*/15 * * * *", "2026-01-01T00:15:00")).toBe("2026-01-01T00:30:00.000Z");
  });

  test("rolls over hours, days, months and years", () => {
    expect(next("30 2 * * *", "2026-01-01T03:00:00")).toBe("2026-01-02T02:30:00.000Z");
    expect(next("0 0 1 * *", "2026-12-15T00:00:00")).toBe("2027-01-01T00:00:00.000Z");
  });

  test("weekdays: 2026-01-03 is a Saturday, so MON-FRI next runs on Monday", () => {
    expect(next("0 9 * * MON-FRI", "2026-01-03T12:00:00")).toBe("2026-01-05T09:00:00.000Z");
  });

  test("with both day fields restricted a day matching either runs", () => {
    // Friday 2026-01-02 matches FRI before the 13th comes.
    expect(next("0 0 13 * FRI", "2026-01-01T00:00:00")).toBe("2026-01-02T00:00:00.000Z");
    expect(next("0 0 13 * FRI", "2026-01-10T00:00:00")).toBe("2026-01-13T00:00:00.000Z");
  });

  test("finds a February 29th years ahead", () => {
    expect(next("0 0 29 2 *", "2026-01-01T00:00:00")).toBe("2028-02-29T00:00:00.000Z");
  });
});

describe("dueTimes", () => {
  test("counts the scheduled times a late fire covers and returns the latest", () => {
    const every5 = parseCron("*/5 * * * *");
    expect(dueTimes(every5, utc("2026-01-01T00:05:00"), utc("2026-01-01T00:27:00"))).toEqual({
      count: 5,
      latest: utc("2026-01-01T00:25:00"),
    });
    expect(dueTimes(every5, utc("2026-01-01T00:05:00"), utc("2026-01-01T00:05:40"))).toEqual({
      count: 1,
      latest: utc("2026-01-01T00:05:00"),
    });
  });
});
