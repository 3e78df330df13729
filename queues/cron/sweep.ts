// The every-minute sweep. Its run row is the scheduler's heartbeat, which /health reports; reminder and
// speed-to-lead sweeps join it here.
import { sweepPendingSubmissions } from "../capture/sweep.ts";
import type { CronJob } from "./job.ts";

export const sweep: CronJob = {
  name: "sweep",
  staleAfterMs: 5 * 60_000,
  async run(services) {
    // Form submissions the edge wrote to the database while the capture queue was down.
    return sweepPendingSubmissions(services, Date.now());
  },
};
