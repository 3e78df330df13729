// The report rollups' cron jobs: every minute, the buckets that changed since the last run (and, once a day has
// ended, that day); every night, the last five weeks again whatever changed, a safety net for any change that
// left no domain event behind.
import type { CronJob } from "../cron/job.ts";
import { type RollupOutcome, runRollups } from "./run.ts";

const VERIFY_DAYS = 35;

function summary(outcome: RollupOutcome): string {
  const mode = outcome.full ? "from scratch" : "incremental";
  return `${mode} to event ${outcome.eventSeq}, live from ${outcome.liveDay}: ${outcome.inline} bucket-days recomputed, ${outcome.queued} queued`;
}

export const reportRollups: CronJob = {
  name: "report-rollups",
  staleAfterMs: 10 * 60_000,
  async run(services, scheduledAt) {
    return summary(await runRollups(services, scheduledAt));
  },
};

export const reportRollupsVerify: CronJob = {
  name: "report-rollups-verify",
  staleAfterMs: 60 * 60_000,
  async run(services, scheduledAt) {
    return summary(await runRollups(services, scheduledAt, { verifyDays: VERIFY_DAYS }));
  },
};
