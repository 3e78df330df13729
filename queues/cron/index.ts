// The Worker's scheduled handler: one job per cron expression in wrangler.toml.
import type { Env } from "../../functions/env.ts";
import { createServices } from "../index.ts";
import { housekeeping } from "./housekeeping.ts";
import { type CronJob, type JobOutcome, runCronJob } from "./job.ts";
import { CRON_SCHEDULE, type JobName } from "./schedule.ts";
import { sweep } from "./sweep.ts";

const JOBS: Readonly<Record<JobName, CronJob>> = { sweep, housekeeping };

export async function handleScheduled(controller: ScheduledController, env: Env): Promise<JobOutcome> {
  const name = (CRON_SCHEDULE as Record<string, JobName | undefined>)[controller.cron];
  if (!name) {
    console.error(JSON.stringify({ level: "error", error: `No job for cron "${controller.cron}"` }));
    return "failed";
  }
  return runCronJob(JOBS[name], createServices(env), controller.scheduledTime);
}
