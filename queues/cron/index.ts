// The Worker's scheduled handler: one job per cron expression in wrangler.toml.
import type { Env } from "../../functions/env.ts";
import { digest } from "../digest/job.ts";
import { domainEventsDispatch } from "../domain-events/job.ts";
import { dataStalled } from "../imports/stalled-job.ts";
import { createServices } from "../index.ts";
import { outboundDelivery } from "../outbound/job.ts";
import { reminders } from "../reminders/job.ts";
import { reportRollups, reportRollupsVerify } from "../rollups/job.ts";
import { scoringDecay } from "../scoring/decay-job.ts";
import { scoringStalled } from "../scoring/stalled-job.ts";
import { sequencesJob } from "../sequences/job.ts";
import { slaBreaches } from "../sla/job.ts";
import { webhooksInRetention, webhooksInSweep } from "../webhooks-in/jobs.ts";
import { webhooksOut } from "../webhooks-out/job.ts";
import { workflowsJob } from "../workflows/job.ts";
import { housekeeping } from "./housekeeping.ts";
import { type CronJob, type JobOutcome, runCronJob } from "./job.ts";
import { CRON_SCHEDULE, type JobName } from "./schedule.ts";
import { sweep } from "./sweep.ts";

const JOBS: Readonly<Record<JobName, CronJob>> = {
  sweep,
  housekeeping,
  "scoring-decay": scoringDecay,
  "scoring-stalled": scoringStalled,
  "sla-breaches": slaBreaches,
  digest,
  reminders,
  outbound: outboundDelivery,
  "domain-events": domainEventsDispatch,
  "webhooks-out": webhooksOut,
  sequences: sequencesJob,
  workflows: workflowsJob,
  "webhooks-in-sweep": webhooksInSweep,
  "webhooks-in-retention": webhooksInRetention,
  "report-rollups": reportRollups,
  "report-rollups-verify": reportRollupsVerify,
  "data-stalled": dataStalled,
};

/**
 * Runs every job of the expression, side by side; the outcome is the worst of theirs (failed, then succeeded,
 * then skipped), so a failure of one is not hidden by another's success.
 */
export async function handleScheduled(controller: ScheduledController, env: Env): Promise<JobOutcome> {
  const names = (CRON_SCHEDULE as Record<string, readonly JobName[] | undefined>)[controller.cron];
  if (!names) {
    console.error(JSON.stringify({ level: "error", error: `No job for cron "${controller.cron}"` }));
    return "failed";
  }
  const services = createServices(env);
  const outcomes = await Promise.all(
    names.map((name) => runCronJob(JOBS[name], services, controller.scheduledTime)),
  );
  if (outcomes.includes("failed")) return "failed";
  return outcomes.includes("succeeded") ? "succeeded" : "skipped";
}
