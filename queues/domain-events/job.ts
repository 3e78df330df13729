// The minute backstop of the domain-event dispatch, for events whose dispatch request was lost.
import type { CronJob } from "../cron/job.ts";
import { dispatchDomainEvents } from "./dispatch.ts";

export const domainEventsDispatch: CronJob = {
  name: "domain-events",
  staleAfterMs: 5 * 60_000,
  async run(services) {
    return `${await dispatchDomainEvents(services)} events dispatched`;
  },
};
