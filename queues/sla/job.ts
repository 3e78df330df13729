// The speed-to-lead cron job (every minute): records breaches, then hands reassignments to the assignment
// engine through the events queue. The scheduled time is the job's clock, so tests drive it with their own.
import type { CronJob } from "../cron/job.ts";
import { findBreaches } from "./breaches.ts";

export const slaBreaches: CronJob = {
  name: "sla-breaches",
  staleAfterMs: 5 * 60_000,
  async run(services, scheduledAt) {
    const { breached, reassign } = await findBreaches(services.db, scheduledAt);
    // Reassignment is the assignment engine's (idempotent by the breach's event id).
    if (reassign.length > 0) await services.queues.events.sendBatch(reassign.map((body) => ({ body })));
    return `${breached.length} breaches, ${reassign.length} reassignments`;
  },
};
