// Daily housekeeping: prunes the cron run log so it stays small.
import { pruneJobRuns } from "../../db/job-runs.ts";
import type { CronJob } from "./job.ts";

const KEEP_RUNS_FOR_MS = 30 * 24 * 60 * 60_000;

export const housekeeping: CronJob = {
  name: "housekeeping",
  staleAfterMs: 60 * 60_000,
  async run({ db }, scheduledAt) {
    const pruned = await pruneJobRuns(db, scheduledAt - KEEP_RUNS_FOR_MS);
    return `pruned ${pruned} job runs`;
  },
};
