// Every minute: recompute jobs whose plan message never reached the queue (the send failed after the rules
// were saved, or after the decay job made its row) are sent again. Planning is idempotent, so a job sent twice
// is planned once.
import { stalledJobsQuery } from "../../db/scoring/jobs.ts";
import type { CronJob } from "../cron/job.ts";
import { planMessage } from "./fanout.ts";

const STALLED_AFTER_MS = 60_000;

export const scoringStalled: CronJob = {
  name: "scoring-stalled",
  staleAfterMs: 5 * 60_000,
  async run({ db, queues }, scheduledAt) {
    const jobs = await stalledJobsQuery(db, scheduledAt - STALLED_AFTER_MS);
    if (jobs.length === 0) return null;
    await queues.events.sendBatch(jobs.map((job) => ({ body: planMessage(job.id, scheduledAt) })));
    return `re-sent ${jobs.length} scoring job plans`;
  },
};
