// Daily housekeeping: prunes the cron run log, spent login-throttle counters and old idempotency keys.
import { KEEP_IDEMPOTENCY_KEYS_MS, pruneIdempotencyKeys } from "../../db/idempotency.ts";
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
    const keys = await pruneIdempotencyKeys(db, scheduledAt - KEEP_IDEMPOTENCY_KEYS_MS);
    return `pruned ${runs} job runs, ${counters} login counters, ${keys} idempotency keys`;
  },
};
