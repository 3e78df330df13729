// The minute cron job of outgoing webhooks: sends what is due (retries minutes or hours away, and anything a
// lost queue message left behind). The scheduled time is the job's clock.
import type { CronJob } from "../cron/job.ts";
import { deliverWebhooks } from "./deliver.ts";

export const webhooksOut: CronJob = {
  name: "webhooks-out",
  staleAfterMs: 5 * 60_000,
  async run(services, scheduledAt) {
    const { delivered, retrying, failed } = await deliverWebhooks(services, scheduledAt);
    return `${delivered} delivered, ${retrying} to retry, ${failed} failed`;
  },
};
