// The digest cron job (every minute): the scheduled time is its clock, so tests drive it with their own.
import type { CronJob } from "../cron/job.ts";
import { sendDigests } from "./digest.ts";

export const digest: CronJob = {
  name: "digest",
  staleAfterMs: 5 * 60_000,
  async run(services, scheduledAt) {
    const { due, claimed } = await sendDigests(services.db, scheduledAt);
    return `${claimed} digests of ${due} due`;
  },
};
