// The outbox cron job (every minute): delivers what is due; the scheduled time is the job's clock.
import type { CronJob } from "../cron/job.ts";
import { processOutbox } from "./process.ts";

export const outboundDelivery: CronJob = {
  name: "outbound",
  staleAfterMs: 5 * 60_000,
  async run(services, scheduledAt) {
    const { sent, retrying, failed } = await processOutbox(services.db, services.config, scheduledAt);
    return `${sent} sent, ${retrying} to retry, ${failed} failed`;
  },
};
