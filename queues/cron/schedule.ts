// The cron expressions of wrangler.toml [triggers] and the jobs each one runs (a test keeps the two in step).
// Several jobs may share an expression: each takes its own lease (queues/cron/job.ts) and runs on its own.
export const CRON_SCHEDULE = {
  "* * * * *": [
    "sweep",
    "scoring-stalled",
    "sla-breaches",
    "digest",
    "reminders",
    "outbound",
    "domain-events",
    "webhooks-out",
    "sequences",
    "workflows",
    "webhooks-in-sweep",
    "report-rollups",
    "data-stalled",
  ],
  "17 3 * * *": ["housekeeping", "scoring-decay", "webhooks-in-retention", "report-rollups-verify"],
} as const;

export type CronExpression = keyof typeof CRON_SCHEDULE;
export type JobName = (typeof CRON_SCHEDULE)[CronExpression][number];
