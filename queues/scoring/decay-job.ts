// The daily decay: engagement fades with time, so every engaged contact is recomputed as of the scheduled
// time (the cron's clock, injectable in tests) through the same fan-out as a rules change.

import { newId } from "../../db/ids.ts";
import { createJobStatement } from "../../db/scoring/jobs.ts";
import type { CronJob } from "../cron/job.ts";
import { planMessage } from "./fanout.ts";

export const scoringDecay: CronJob = {
  name: "scoring-decay",
  staleAfterMs: 60 * 60_000,
  async run({ db, queues }, scheduledAt) {
    const id = newId();
    await db.batch([createJobStatement(db, { id, kind: "decay", asOf: scheduledAt }, Date.now())]);
    await queues.events.send(planMessage(id, Date.now()));
    return `decay job ${id} as of ${new Date(scheduledAt).toISOString()}`;
  },
};
