// Dashboard report latency through `wrangler dev` at each size side by side (10,000 deals; 1,000,000 with
// --large), for an admin and a rep, with the check issue 10 asks for: the largest size stays within twice the
// smallest, because reports read rollups, not deals. Each size has its own seeded database under
// .data/bench/deals-<size>/ (seeded once, kept), rolled up from scratch the first time (the run's time is reported).
import { resolve } from "node:path";
import { type Client, createClient } from "@libsql/client";
import { freePort } from "../lib/processes.ts";
import { type LocalStack, startLocalStack } from "../lib/stack.ts";
import { datasetLabel, login, markSeededEventsDispatched, prepareRep } from "./dataset.ts";
import { type Latency, measure } from "./reads.ts";
import { seedDeals } from "./reports-seed.ts";

/** The day the deals are made up to, and the clock of the rollup run: fixed, so a kept database stays valid. */
const SEED_NOW = Date.parse("2026-06-01T00:00:00Z");
const REQUESTS = Number(process.env.BENCH_READ_REQUESTS ?? 40);

/** What a sales dashboard shows, with periods inside the seeded two years. */
export const DASHBOARD = {
  revenue12Months: "/api/v1/reports/revenue?from=2025-06-01&to=2026-05-31&groupBy=month",
  salesMonth: "/api/v1/reports/sales?period=2026-05",
  pipeline: "/api/v1/reports/pipeline",
  forecastQuarter: "/api/v1/reports/forecast?period=2026-Q2",
  stagesQuarter: "/api/v1/reports/stages?period=2026-Q1",
  leadsBySource: "/api/v1/reports/leads?period=2026-05&by=source",
  funnel: "/api/v1/reports/funnel?period=2026-05",
  customers12Months: "/api/v1/reports/customers?from=2025-06-01&to=2026-05-31",
  campaigns: "/api/v1/reports/campaigns?period=2026-05",
  activities: "/api/v1/reports/activities?period=2026-05",
} as const;
export type DashboardReport = keyof typeof DASHBOARD;
const NAMES = Object.keys(DASHBOARD) as DashboardReport[];

export type ReportSizes = Record<
  string,
  {
    deals: number;
    seededSeconds: number;
    /** The rollup from scratch this run made (null: the kept database was already rolled up). */
    rollupSeconds: number | null;
    figures: Record<"admin" | "rep", Record<DashboardReport, Latency>>;
  }
>;

export interface ReportCheck {
  check: string;
  holds: boolean;
  detail: string;
}

async function openDealsDataset(deals: number, log: (line: string) => void) {
  const label = `deals-${datasetLabel(deals)}`;
  const dataDir = resolve(".data/bench", label);
  const stack: LocalStack = await startLocalStack({
    port: await freePort(),
    dbPort: 0,
    dataDir,
    quiet: true,
  });
  const client: Client = createClient({ url: stack.server.url });
  const close = async () => {
    client.close();
    await stack.stop();
  };
  try {
    const count = async (sql: string) => Number((await client.execute(sql)).rows[0]?.n ?? 0);
    await markSeededEventsDispatched(client);
    // The first login creates the admin, before the seed adds users.
    if ((await count("select count(*) as n from users")) === 0) {
      await login(stack.workerUrl, stack.admin.email, stack.admin.password);
    }
    let seededSeconds = 0;
    if ((await count("select count(*) as n from deals")) < deals) {
      log(`  seeding ${label}…`);
      const started = performance.now();
      let lastPrint = 0;
      await seedDeals(client, {
        deals,
        seed: 1,
        now: SEED_NOW,
        onProgress(done, total) {
          const s = (performance.now() - started) / 1000;
          if (s - lastPrint < 30) return;
          lastPrint = s;
          log(`    ${done.toLocaleString("en")} / ${total.toLocaleString("en")} deals (${s.toFixed(0)} s)`);
        },
      });
      seededSeconds = Math.round((performance.now() - started) / 1000);
      await markSeededEventsDispatched(client);
      await client.execute("delete from report_state");
      await client.execute("analyze");
    }
    let rollupSeconds: number | null = null;
    if ((await count("select count(*) as n from report_state")) === 0) {
      log(`  rolling ${label} up from scratch…`);
      const { benchRollup } = (await import(ROLLUP_RUNNER)) as {
        benchRollup: (url: string, now: number, options: { full: boolean }) => Promise<{ seconds: number }>;
      };
      rollupSeconds = (await benchRollup(stack.server.url, SEED_NOW, { full: true })).seconds;
      await client.execute("analyze");
    }
    const admin = await login(stack.workerUrl, stack.admin.email, stack.admin.password);
    const rep = await prepareRep(client, stack, dataDir);
    return { label, stack, admin, rep: rep.cookie, seededSeconds, rollupSeconds, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The rollup run, loaded at run time: it is Worker code, type-checked with the Worker's types. */
const ROLLUP_RUNNER = new URL("../../queues/rollups/bench-run.ts", import.meta.url).href;

export async function runReportBench(sizes: number[]): Promise<ReportSizes> {
  const out: ReportSizes = {};
  for (const deals of sizes) {
    console.log(`Dashboard report latency at ${deals.toLocaleString("en")} deals…`);
    const data = await openDealsDataset(deals, (line) => console.log(line));
    try {
      const figures = {} as ReportSizes[string]["figures"];
      for (const [role, cookie] of [
        ["admin", data.admin],
        ["rep", data.rep],
      ] as const) {
        // Round robin over the reports, so a burst of load elsewhere falls on all of them alike.
        const timings = await measure(
          NAMES.map((name) => `${data.stack.workerUrl}${DASHBOARD[name]}`),
          cookie,
          { requests: REQUESTS, warmup: 5 },
        );
        figures[role] = Object.fromEntries(NAMES.map((name, i) => [name, timings[i]])) as Record<
          DashboardReport,
          Latency
        >;
      }
      out[datasetLabel(deals)] = {
        deals,
        seededSeconds: data.seededSeconds,
        rollupSeconds: data.rollupSeconds,
        figures,
      };
    } finally {
      await data.close();
    }
  }
  return out;
}

/** The largest size's p50 within twice the smallest's, per report and role (the read checks' rule). */
export function reportChecks(sizes: ReportSizes): ReportCheck[] {
  const labels = Object.keys(sizes);
  const small = sizes[labels[0] ?? ""];
  const large = labels.length > 1 ? sizes[labels.at(-1) ?? ""] : undefined;
  if (!small || !large) return [];
  return (["admin", "rep"] as const).flatMap((role) =>
    NAMES.map((name) => {
      const a = small.figures[role][name].p50Ms;
      const b = large.figures[role][name].p50Ms;
      return {
        check: `${role} report ${name}: p50 at ${datasetLabel(large.deals)} deals within twice ${datasetLabel(small.deals)}`,
        holds: b <= 2 * a,
        detail: `${b} ms vs ${a} ms (×${(b / a).toFixed(2)})`,
      };
    }),
  );
}

export function printReports(sizes: ReportSizes, checks: ReportCheck[]) {
  const labels = Object.keys(sizes);
  console.log("");
  console.log(
    `Dashboard report latency through wrangler dev, ${REQUESTS} sequential requests each, p50 / p95 in ms (the rep sees own deals only):`,
  );
  const header = ["", ...labels.map((l) => `${l} deals`)];
  const rows: string[][] = [header];
  for (const role of ["admin", "rep"] as const) {
    for (const name of NAMES) {
      rows.push([
        `${role} ${name}`,
        ...labels.map((l) => {
          const f = sizes[l]?.figures[role][name];
          return f ? `${f.p50Ms} / ${f.p95Ms}` : "";
        }),
      ]);
    }
  }
  const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  for (const r of rows) console.log(`  ${r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("   ")}`);
  for (const l of labels) {
    const size = sizes[l];
    if (size?.rollupSeconds != null) console.log(`  ${l}: rolled up from scratch in ${size.rollupSeconds} s`);
  }
  console.log("");
  for (const c of checks) console.log(`  ${c.holds ? "holds " : "FAILS "} ${c.check}: ${c.detail}`);
  if (labels.length < 2) console.log("  (1,000,000 deals side by side: npm run bench -- --large)");
}
