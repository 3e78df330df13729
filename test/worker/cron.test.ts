import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { jobRuns } from "../../db/schema/index.ts";
import { useTestDatabase } from "./support.ts";

const t = useTestDatabase();
const MINUTE = 60_000;

describe("cron jobs", () => {
  it("runs the job for its expression once per scheduled time, however often it fires", async () => {
    const at = Date.UTC(2026, 10, 22, 9, 30);
    await t.scheduled("* * * * *", at);
    await t.scheduled("* * * * *", at);
    await t.scheduled("* * * * *", at + MINUTE);
    const runs = await t.db
      .select()
      .from(jobRuns)
      .where(eq(jobRuns.job, "sweep"))
      .orderBy(jobRuns.scheduledAt);
    expect(runs.map((r) => [r.scheduledAt, r.status, r.attempt])).toEqual([
      [at, "succeeded", 1],
      [at + MINUTE, "succeeded", 1],
    ]);
  });

  it("takes over a run that failed, or that has been 'running' past its lease", async () => {
    const at = Date.UTC(2026, 10, 22, 10, 0);
    await t.db.insert(jobRuns).values([
      { job: "sweep", scheduledAt: at, status: "failed", startedAt: Date.now() - MINUTE },
      { job: "sweep", scheduledAt: at + MINUTE, status: "running", startedAt: Date.now() - 60 * MINUTE },
      { job: "sweep", scheduledAt: at + 2 * MINUTE, status: "running", startedAt: Date.now() },
    ]);
    for (const offset of [0, 1, 2]) await t.scheduled("* * * * *", at + offset * MINUTE);
    const runs = await t.db
      .select()
      .from(jobRuns)
      .where(eq(jobRuns.job, "sweep"))
      .orderBy(jobRuns.scheduledAt);
    const window = runs.filter((r) => r.scheduledAt >= at);
    expect(window.map((r) => [r.status, r.attempt])).toEqual([
      ["succeeded", 2],
      ["succeeded", 2],
      // Still held by a live run: left alone.
      ["running", 1],
    ]);
  });

  it("prunes run-log rows older than 30 days in the daily housekeeping", async () => {
    const now = Date.UTC(2026, 10, 22, 3, 17);
    await t.db.insert(jobRuns).values([
      { job: "sweep", scheduledAt: now - 40 * 24 * 60 * MINUTE, status: "succeeded", startedAt: 1 },
      { job: "sweep", scheduledAt: now - 2 * MINUTE, status: "succeeded", startedAt: 2 },
    ]);
    await t.scheduled("17 3 * * *", now);
    const [run] = await t.db.select().from(jobRuns).where(eq(jobRuns.job, "housekeeping"));
    expect(run?.status).toBe("succeeded");
    expect(run?.detail).toMatch(
      /^pruned [1-9]\d* job runs, \d+ login counters, \d+ idempotency keys, \d+ events, \d+ webhook rows$/,
    );
    const old = await t.db
      .select()
      .from(jobRuns)
      .where(eq(jobRuns.scheduledAt, now - 40 * 24 * 60 * MINUTE));
    expect(old).toHaveLength(0);
    const recent = await t.db
      .select()
      .from(jobRuns)
      .where(eq(jobRuns.scheduledAt, now - 2 * MINUTE));
    expect(recent).toHaveLength(1);
  });

  it("does nothing for an expression it has no job for", async () => {
    const before = await t.db.select().from(jobRuns);
    await t.scheduled("*/7 * * * *", Date.UTC(2026, 10, 22, 11, 0));
    expect(await t.db.select().from(jobRuns)).toHaveLength(before.length);
  });
});
