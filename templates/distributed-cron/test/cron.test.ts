import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { cron } from "../actors/cron.ts";
import { worker } from "../actors/worker.ts";
import { client } from "../durable/index.ts";
import { createTestFabric, type TestFabric } from "../durable/testing.ts";

const T0 = Date.UTC(2026, 0, 1); // the test clock's start
const MIN = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MIN).toISOString();
const REPORTS = {
  id: "reports",
  schedule: "*/5 * * * *",
  target: { actorId: "worker-reports", handler: "run" },
};

let fabric: TestFabric;
beforeEach(() => {
  fabric = createTestFabric({ actors: [cron, worker], now: T0 });
});
afterEach(() => fabric.close());

const scheduler = () => client(cron, fabric).get("cron-main");
const job = async (id = "reports") => (await scheduler().list()).find((j) => j.id === id);
const workerRuns = async () =>
  (
    (await fabric.state("worker-reports"))?.state as { done: { scheduledAt: number }[] } | undefined
  )?.done.map((d) => d.scheduledAt) ?? [];

/** The fabric was down: the clock moved on without firing anything, then timers catch up at once. */
async function stall(ms: number): Promise<void> {
  fabric.clock.advance(ms);
  await fabric.advance(0);
}

describe("distributed-cron", () => {
  test("registering a job sets a named timer at its next run, and list shows it", async () => {
    expect(await scheduler().register(REPORTS)).toMatchObject({ id: "reports", nextRunAt: at(5), runs: 0 });
    const record = await fabric.state("cron-main");
    expect(record?.timers.reports?.at).toBe(T0 + 5 * MIN);
    expect(await scheduler().list()).toEqual([expect.objectContaining({ id: "reports", nextRunAt: at(5) })]);
  });

  test("each scheduled time runs once and its run reaches the target", async () => {
    await scheduler().register(REPORTS);
    await fabric.advance(15 * MIN);
    expect(await job()).toMatchObject({ runs: 3, lastScheduledAt: at(15), nextRunAt: at(20) });
    expect(await workerRuns()).toEqual([T0 + 15 * MIN, T0 + 10 * MIN, T0 + 5 * MIN]);
  });

  test("a run publishes the signal cron.run", async () => {
    await scheduler().register({ id: "ping", schedule: "* * * * *" });
    await fabric.advance(MIN);
    const signals = await fabric.ports.signals.recent();
    expect(signals.map((s) => s.type)).toEqual(["cron.run"]);
    expect(signals[0]?.detail).toEqual({
      cron: "cron-main",
      jobId: "ping",
      scheduledAt: T0 + MIN,
      caughtUp: 0,
    });
  });

  test("a second fire for a scheduled time that already ran does nothing", async () => {
    await scheduler().register(REPORTS);
    await fabric.advance(5 * MIN);
    expect(await scheduler().trigger({ id: "reports", scheduledAt: T0 + 5 * MIN })).toEqual({ ran: false });
    await fabric.drain();
    expect(await job()).toMatchObject({ runs: 1 });
    expect(await workerRuns()).toEqual([T0 + 5 * MIN]);
  });

  test("catch-up-once: after the clock jumped past several runs the job runs once, for the latest", async () => {
    await scheduler().register({ ...REPORTS, missed: "catch-up-once" });
    await stall(27 * MIN);
    expect(await job()).toMatchObject({ runs: 1, skipped: 0, lastScheduledAt: at(25), nextRunAt: at(30) });
    expect(await scheduler().runs()).toEqual([
      { cron: "cron-main", jobId: "reports", scheduledAt: at(25), caughtUp: 4 },
    ]);
    expect(await workerRuns()).toEqual([T0 + 25 * MIN]);
  });

  test("skip: after the clock jumped past several runs none runs and the job waits for its next time", async () => {
    await scheduler().register({ ...REPORTS, missed: "skip" });
    await stall(27 * MIN);
    expect(await job()).toMatchObject({ runs: 0, skipped: 5, nextRunAt: at(30) });
    await fabric.advance(3 * MIN);
    expect(await job()).toMatchObject({ runs: 1, lastScheduledAt: at(30) });
  });

  test("skip still runs a single fire that came late", async () => {
    await scheduler().register({ ...REPORTS, missed: "skip" });
    await stall(6 * MIN);
    expect(await job()).toMatchObject({ runs: 1, lastScheduledAt: at(5), nextRunAt: at(10) });
  });

  test("re-registering changes the schedule and keeps the job's history", async () => {
    await scheduler().register(REPORTS);
    await fabric.advance(5 * MIN);
    expect(await scheduler().register({ ...REPORTS, schedule: "@hourly" })).toMatchObject({
      runs: 1,
      nextRunAt: at(60),
    });
    expect(Object.keys((await fabric.state("cron-main"))?.timers ?? {})).toEqual(["reports"]);
  });

  test("unregistering cancels the job's timer", async () => {
    await scheduler().register(REPORTS);
    expect(await scheduler().unregister({ id: "reports" })).toEqual({ removed: true });
    await fabric.advance(60 * MIN);
    expect(await scheduler().list()).toEqual([]);
    expect(await workerRuns()).toEqual([]);
    expect((await fabric.state("cron-main"))?.timers).toEqual({});
  });

  test("a target this project lacks is the job's error; the scheduler keeps running", async () => {
    await scheduler().register({
      id: "broken",
      schedule: "* * * * *",
      target: { actorId: "mailer-1", handler: "send" },
    });
    await scheduler().register({ id: "ping", schedule: "* * * * *" });
    await fabric.advance(2 * MIN);
    expect(await job("broken")).toMatchObject({ runs: 2, lastError: expect.stringContaining("mailer-1") });
    expect(await job("ping")).toMatchObject({ runs: 2 });
    expect((await fabric.state("cron-main"))?.parked).toBeNull();
  });

  test("bad jobs are refused and change nothing", async () => {
    await expect(scheduler().register({ id: "x", schedule: "61 * * * *" })).rejects.toThrow("outside 0-59");
    await expect(scheduler().register({ id: "Bad Id", schedule: "* * * * *" })).rejects.toThrow(
      "job id must be",
    );
    await expect(scheduler().register({ ...REPORTS, missed: "later" as "skip" })).rejects.toThrow(
      'missed must be "skip"',
    );
    expect(await fabric.state("cron-main")).toBeNull();
  });

  test("the worker does a scheduled time once even when it is sent twice", async () => {
    const run = { cron: "cron-main", jobId: "reports", scheduledAt: T0, caughtUp: 0 };
    const w = client(worker, fabric).get("worker-reports");
    expect(await w.run(run)).toEqual({ done: true });
    expect(await w.run(run)).toEqual({ done: false });
    expect((await fabric.state("worker-reports"))?.state).toMatchObject({ duplicates: 1 });
  });
});
