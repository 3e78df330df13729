// Daily housekeeping: prunes the cron run log and spent login-throttle counters so they stay small.
import { pruneJobRuns } from "../../db/job-runs.ts";
import { pruneLoginThrottle } from "../../db/throttle.ts";
import type { CronJob } from "./job.ts";

const KEEP_RUNS_FOR_MS = 30 * 24 * 60 * 60_000;

export const housekeeping: CronJob = {
  name: "housekeeping",
  staleAfterMs: 60 * 60_000,
  async run({ db }, scheduledAt) {
    const runs = await pruneJobRuns(db, scheduledAt - KEEP_RUNS_FOR_MS);
    const counters = await pruneLoginThrottle(db, scheduledAt);
    return `pruned ${runs} job runs, ${counters} login counters`;
  },
};
