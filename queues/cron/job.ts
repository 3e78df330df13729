// What a cron job is, and how one run is leased, timed and logged so that a double fire does the work once.
import { acquireJobRun, finishJobRun } from "../../db/job-runs.ts";
import type { ConsumerServices } from "../consume.ts";

export interface CronJob {
  name: string;
  /** A run still marked running after this long is presumed dead and may be taken over. */
  staleAfterMs: number;
  /** Does the work; returns a short summary for the run log. */
  run(services: ConsumerServices, scheduledAt: number): Promise<string | null>;
}

export type JobOutcome = "succeeded" | "failed" | "skipped";

export async function runCronJob(
  job: CronJob,
  services: ConsumerServices,
  scheduledAt: number,
): Promise<JobOutcome> {
  const attempt = await acquireJobRun(services.db, job.name, scheduledAt, Date.now(), job.staleAfterMs);
  if (attempt === null) return "skipped";
  const run = { job: job.name, scheduledAt, attempt };
  try {
    const detail = await job.run(services, scheduledAt);
    await finishJobRun(services.db, run, { status: "succeeded", detail, finishedAt: Date.now() });
    return "succeeded";
  } catch (error) {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    console.error(JSON.stringify({ level: "error", job: job.name, scheduledAt, attempt, error: detail }));
    await finishJobRun(services.db, run, { status: "failed", detail, finishedAt: Date.now() });
    return "failed";
  }
}
