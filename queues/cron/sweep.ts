// The every-minute sweep. Its run row is the scheduler's heartbeat, which /health reports; reminder and
// speed-to-lead sweeps join it here.
import type { CronJob } from "./job.ts";

export const sweep: CronJob = {
  name: "sweep",
  staleAfterMs: 5 * 60_000,
  async run() {
    return null;
  },
};
