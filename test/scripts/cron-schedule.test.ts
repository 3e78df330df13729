import { Cron } from "croner";
import { expect, it } from "vitest";
import { CRON_SCHEDULE } from "../../queues/cron/schedule.ts";
import { readCrons } from "../../scripts/lib/cron-runner.ts";

it("has one job for each cron trigger in wrangler.toml, and no job without a trigger", () => {
  expect(readCrons().sort()).toEqual(Object.keys(CRON_SCHEDULE).sort());
});

it("uses only expressions a cron library accepts, each due at least once a day", () => {
  for (const expression of readCrons()) {
    const next = new Cron(expression, { timezone: "UTC" }).nextRun(new Date(Date.UTC(2026, 0, 1)));
    expect(next?.getTime()).toBeLessThanOrEqual(Date.UTC(2026, 0, 2));
  }
});
