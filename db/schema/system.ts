// Tables the platform itself needs: cron leases and their run log, and the dead letters of the queues.
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * One row per cron job and scheduled time. The row is the lease: a job that fires twice for the same
 * minute (cron retries, overlapping runners) finds it taken and does nothing.
 */
export const jobRuns = sqliteTable(
  "job_runs",
  {
    job: text().notNull(),
    scheduledAt: integer().notNull(),
    status: text({ enum: ["running", "succeeded", "failed"] }).notNull(),
    attempt: integer().notNull().default(1),
    startedAt: integer().notNull(),
    finishedAt: integer(),
    detail: text(),
  },
  (t) => [primaryKey({ columns: [t.job, t.scheduledAt] }), index("job_runs_started_at_idx").on(t.startedAt)],
);

/** Queue messages that failed every retry, kept for an admin to read and replay. */
export const deadLetters = sqliteTable(
  "dead_letters",
  {
    id: text().primaryKey(),
    queue: text().notNull(),
    messageId: text().notNull(),
    type: text(),
    body: text().notNull(),
    attempts: integer().notNull(),
    error: text(),
    receivedAt: integer().notNull(),
    replayedAt: integer(),
  },
  (t) => [index("dead_letters_queue_received_idx").on(t.queue, t.receivedAt)],
);
