// The cron expressions of wrangler.toml [triggers] and the job each one runs (a test keeps the two in step).
export const CRON_SCHEDULE = {
  "* * * * *": "sweep",
  "17 3 * * *": "housekeeping",
} as const;

export type CronExpression = keyof typeof CRON_SCHEDULE;
export type JobName = (typeof CRON_SCHEDULE)[CronExpression];
