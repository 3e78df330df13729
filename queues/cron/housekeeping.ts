// Daily housekeeping: prunes the cron run log, spent login-throttle counters, old idempotency keys and
// dispatched domain events, and old outgoing-webhook history.
import { pruneDomainEvents } from "../../db/domain-events.ts";
import { KEEP_IDEMPOTENCY_KEYS_MS, pruneIdempotencyKeys } from "../../db/idempotency.ts";
import { pruneJobRuns } from "../../db/job-runs.ts";
import { pruneLoginThrottle } from "../../db/throttle.ts";
import { pruneWebhookHistory } from "../../db/webhooks-out/retention.ts";
import type { CronJob } from "./job.ts";

const KEEP_RUNS_FOR_MS = 30 * 24 * 60 * 60_000;
/** Dispatched domain events are kept a week: the record of what the engines were told, for support. */
const KEEP_EVENTS_FOR_MS = 7 * 24 * 60 * 60_000;

export const housekeeping: CronJob = {
  name: "housekeeping",
  staleAfterMs: 60 * 60_000,
  async run({ db }, scheduledAt) {
    const runs = await pruneJobRuns(db, scheduledAt - KEEP_RUNS_FOR_MS);
    const counters = await pruneLoginThrottle(db, scheduledAt);
    const keys = await pruneIdempotencyKeys(db, scheduledAt - KEEP_IDEMPOTENCY_KEYS_MS);
    const events = await pruneDomainEvents(db, scheduledAt - KEEP_EVENTS_FOR_MS);
    const webhooks = await pruneWebhookHistory(db, scheduledAt);
    return `pruned ${runs} job runs, ${counters} login counters, ${keys} idempotency keys, ${events} events, ${webhooks} webhook rows`;
  },
};
