// Fires the Worker's cron triggers on their schedules in local development, where nothing else fires them.
import { Cron } from "croner";
import { unstable_readConfig } from "wrangler";

/** The cron expressions of wrangler.toml [triggers]. */
export function readCrons(configPath = "wrangler.toml"): string[] {
  const config = unstable_readConfig({ config: configPath }, { hideWarnings: true });
  return config.triggers.crons ?? [];
}

export interface CronFire {
  cron: string;
  scheduledTime: number;
  ok: boolean;
  detail: string;
}

/**
 * Schedules each expression with croner (UTC, as Cloudflare does) and, when it is due, asks the local runtime
 * to run the Worker's scheduled handler with that cron and scheduled time (miniflare's trigger takes the time;
 * wrangler's `/__scheduled` page would run at the present instant instead).
 */
export function startCronRunner(options: {
  workerUrl: string;
  crons: string[];
  onFire?: (fire: CronFire) => void;
}): { stop(): void } {
  const jobs = options.crons.map(
    (cron) =>
      new Cron(cron, { timezone: "UTC", protect: true }, async (self: Cron) => {
        // The minute it was due, not when the timer happened to wake: the job's lease is keyed on it.
        const scheduledTime = Math.floor((self.currentRun()?.getTime() ?? Date.now()) / 60_000) * 60_000;
        const url = new URL("/cdn-cgi/local/scheduled", options.workerUrl);
        url.searchParams.set("cron", cron);
        url.searchParams.set("time", String(scheduledTime));
        try {
          const response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
          const body = await response.text();
          options.onFire?.({ cron, scheduledTime, ok: response.ok, detail: body });
        } catch (error) {
          options.onFire?.({ cron, scheduledTime, ok: false, detail: String(error) });
        }
      }),
  );
  return {
    stop() {
      for (const job of jobs) job.stop();
    },
  };
}
