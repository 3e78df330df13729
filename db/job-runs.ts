// Cron leases and their run log: one row per job and scheduled time.
import { and, eq, lt, sql } from "drizzle-orm";
import type { Database } from "./client.ts";
import { jobRuns } from "./schema/index.ts";

/**
 * Takes the lease for a job's scheduled time. Returns the attempt number, or null when another run holds
 * it or already succeeded. A failed run, or one still "running" after `staleAfterMs` (its Worker died),
 * can be taken over.
 */
export async function acquireJobRun(
  db: Database,
  job: string,
  scheduledAt: number,
  now: number,
  staleAfterMs: number,
): Promise<number | null> {
  const rows = await db
    .insert(jobRuns)
    .values({ job, scheduledAt, status: "running", startedAt: now })
    .onConflictDoUpdate({
      target: [jobRuns.job, jobRuns.scheduledAt],
      set: {
        status: "running",
        startedAt: now,
        finishedAt: null,
        detail: null,
        attempt: sql`${jobRuns.attempt} + 1`,
      },
      setWhere: sql`${jobRuns.status} = 'failed' or (${jobRuns.status} = 'running' and ${jobRuns.startedAt} < ${now - staleAfterMs})`,
    })
    .returning({ attempt: jobRuns.attempt });
  return rows[0]?.attempt ?? null;
}

export async function finishJobRun(
  db: Database,
  run: { job: string; scheduledAt: number; attempt: number },
  outcome: { status: "succeeded" | "failed"; detail: string | null; finishedAt: number },
): Promise<void> {
  await db
    .update(jobRuns)
    .set(outcome)
    .where(
      and(
        eq(jobRuns.job, run.job),
        eq(jobRuns.scheduledAt, run.scheduledAt),
        eq(jobRuns.attempt, run.attempt),
      ),
    );
}

/** Deletes run-log rows older than the cutoff; returns how many. */
export async function pruneJobRuns(db: Database, before: number): Promise<number> {
  const result = await db.delete(jobRuns).where(lt(jobRuns.scheduledAt, before));
  return result.rowsAffected;
}
