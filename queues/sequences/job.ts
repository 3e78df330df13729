// The sequences cron job (every minute): leases the enrolments whose step may be due and runs them, here when
// they are few, else in chunks on the events queue (each chunk a message that runs its enrolments once).
import type { ConsumerServices } from "../consume.ts";
import type { CronJob } from "../cron/job.ts";
import type { QueueMessage } from "../message.ts";
import { SEQUENCE_STEPS_DUE, type StepsDue } from "./messages.ts";
import { leaseDue, runLeased } from "./runner.ts";

/** Enrolments one run leases; the rest wait for the next minute. */
export const LEASE_LIMIT = 1000;
/** Enrolments run in one batch: up to this many run in the cron itself, more go out in chunks this size. */
export const CHUNK = 25;
/** Queues take at most 100 messages per sendBatch. */
const SEND_BATCH = 100;

export async function runSequences(services: ConsumerServices, now: number): Promise<string> {
  const { db } = services;
  const { claim, ids } = await leaseDue(db, now, LEASE_LIMIT);
  if (ids.length <= CHUNK) {
    const ran = await runLeased(db, claim, ids, now);
    return `${ids.length} enrolments looked at, ${ran} steps run`;
  }
  const messages: QueueMessage[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const data: StepsDue = { claim, now, enrolmentIds: ids.slice(i, i + CHUNK) };
    messages.push({
      id: `${SEQUENCE_STEPS_DUE}:${claim}:${i / CHUNK}`,
      type: SEQUENCE_STEPS_DUE,
      createdAt: now,
      data,
    });
  }
  for (let i = 0; i < messages.length; i += SEND_BATCH) {
    await services.queues.events.sendBatch(messages.slice(i, i + SEND_BATCH).map((body) => ({ body })));
  }
  return `${ids.length} enrolments looked at, in ${messages.length} chunks`;
}

export const sequencesJob: CronJob = {
  name: "sequences",
  staleAfterMs: 5 * 60_000,
  async run(services, scheduledAt) {
    // The scheduled time is the clock: a step due at 09:00 runs in the 09:00 run, and tests drive it.
    return runSequences(services, scheduledAt);
  },
};
