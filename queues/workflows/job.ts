// The workflow engine's minute job: wakes the runs whose wait ended (or whose step message was lost), and
// starts the runs of date-relative triggers that came due.
import { wakeRunsStatement } from "../../db/workflows/runs.ts";
import type { ConsumerServices } from "../consume.ts";
import type { CronJob } from "../cron/job.ts";
import { type StepMessage, sendSteps } from "./messages.ts";
import { startDateRuns } from "./schedule.ts";
import { STALL_MS } from "./start.ts";

const WAKE_LIMIT = 500;

/** Sends the next step of each run whose wake time came; returns how many. */
export async function wakeRuns(services: ConsumerServices, now: number): Promise<number> {
  const rows = await wakeRunsStatement(services.db, now, now + STALL_MS, WAKE_LIMIT);
  await sendSteps(
    services.queues.events,
    rows.map((row) => ({
      data: {
        runId: row.id,
        step: row.nextStep,
        recordType: row.recordType as StepMessage["recordType"],
        recordId: row.recordId,
      },
    })),
    now,
  );
  return rows.length;
}

export const workflowsJob: CronJob = {
  name: "workflows",
  staleAfterMs: 5 * 60_000,
  async run(services, scheduledAt) {
    const woken = await wakeRuns(services, scheduledAt);
    const started = await startDateRuns(services, scheduledAt);
    return `${woken} runs woken, ${started} date-triggered runs started`;
  },
};
