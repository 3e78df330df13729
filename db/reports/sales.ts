// Deal reports: revenue, the sales figures (deal size, win rate, cycle, velocity), the pipeline now or as of a
// date, and the forecast by category. Each is a query or two for the request's one batch, and a function that
// turns the rows into the figures, with the formulas in one place.
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../client.ts";
import { ownedRowsWhere, type ReportScope, rollupRows } from "./scope.ts";
import { LIVE_DAY } from "./window.ts";

const DAY_MS = 24 * 60 * 60_000;

/** x ÷ y, or null when y is 0 (a rate of nothing is unknown, not zero). */
export function ratio(x: number, y: number): number | null {
  return y === 0 ? null : x / y;
}

// ---- revenue ------------------------------------------------------------------------------------------------

export interface RevenueDayRow {
  day: string;
  currency: string;
  deals: number;
  amount: number;
}

/**
 * Won deals and their amounts per close day and currency; by month and longer, a whole past month is one row
 * (labelled with its first day), which is all such a bucket needs.
 */
export function revenueQuery(db: Database, scope: ReportScope, grouping: Grouping) {
  const byDay = grouping === "day" || grouping === "week";
  return db.all<RevenueDayRow>(sql`with ${rollupRows("deal", scope.period, "r", { byDay })}
    select day, currency, sum(won) as deals, sum(won_amount) as amount from r
    where won > 0 and ${ownedRowsWhere(scope, "r", { pipeline: sql`r.pipeline_id` })}
    group by day, currency order by day, currency`);
}

export const GROUPINGS = ["day", "week", "month", "quarter", "year"] as const;
export type Grouping = (typeof GROUPINGS)[number];

/** The bucket a date falls in: the date, its ISO week (2026-W19), month, quarter (2026-Q2) or year. */
export function bucketOf(day: string, grouping: Grouping): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  switch (grouping) {
    case "day":
      return day;
    case "month":
      return day.slice(0, 7);
    case "quarter":
      return `${y}-Q${Math.floor((m - 1) / 3) + 1}`;
    case "year":
      return String(y);
    case "week": {
      // ISO 8601: the week belongs to the year of its Thursday.
      const date = new Date(Date.UTC(y, m - 1, d));
      const weekday = (date.getUTCDay() + 6) % 7;
      date.setUTCDate(date.getUTCDate() - weekday + 3);
      const year = date.getUTCFullYear();
      // 4 January is always in week 1.
      const january4 = new Date(Date.UTC(year, 0, 4));
      const days = (date.getTime() - january4.getTime()) / DAY_MS;
      const week = 1 + Math.round((days - 3 + ((january4.getUTCDay() + 6) % 7)) / 7);
      return `${year}-W${String(week).padStart(2, "0")}`;
    }
  }
}

export interface MoneyTotal {
  currency: string;
  deals: number;
  amount: number;
}

export function revenueView(rows: readonly RevenueDayRow[], grouping: Grouping) {
  const totals = new Map<string, MoneyTotal>();
  const series = new Map<string, MoneyTotal & { bucket: string }>();
  for (const row of rows) {
    const total = totals.get(row.currency) ?? { currency: row.currency, deals: 0, amount: 0 };
    total.deals += row.deals;
    total.amount += row.amount;
    totals.set(row.currency, total);
    const bucket = bucketOf(row.day, grouping);
    const key = `${bucket}\u0000${row.currency}`;
    const point = series.get(key) ?? { bucket, currency: row.currency, deals: 0, amount: 0 };
    point.deals += row.deals;
    point.amount += row.amount;
    series.set(key, point);
  }
  return {
    totals: [...totals.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
    series: [...series.values()],
  };
}

// ---- sales figures --------------------------------------------------------------------------------------------

export interface DealTotalsRow {
  currency: string;
  created: number;
  createdAmount: number;
  won: number;
  wonAmount: number;
  lost: number;
  lostAmount: number;
  wonCycleMs: number;
}

/** Deals created, won and lost in the period, per currency. */
export function dealTotalsQuery(db: Database, scope: ReportScope) {
  return db.all<DealTotalsRow>(sql`with ${rollupRows("deal", scope.period, "r")}
    select currency, sum(created) as created, sum(created_amount) as "createdAmount", sum(won) as won,
      sum(won_amount) as "wonAmount", sum(lost) as lost, sum(lost_amount) as "lostAmount",
      sum(won_cycle_ms) as "wonCycleMs"
    from r where ${ownedRowsWhere(scope, "r", { pipeline: sql`r.pipeline_id` })}
    group by currency order by currency`);
}

export interface PipelineRow {
  pipelineId: string;
  stageId: string;
  stageName: string | null;
  position: number | null;
  currency: string;
  count: number;
  amount: number;
  weightedAmount: number;
}

/**
 * The open pipeline per stage and currency: live (deal_stage_totals) when `asOf` is null or the rollups' live day
 * (today) or later; else the snapshot of that day, or of the last day before it that has one.
 */
export function pipelineQuery(db: Database, scope: ReportScope, asOf: SQL | null) {
  const live = asOf === null ? sql`1` : sql`${asOf} >= ${LIVE_DAY}`;
  const snapshotDay =
    asOf === null ? sql`null` : sql`(select max(day) from report_pipeline_snapshots where day <= ${asOf})`;
  return db.all<PipelineRow>(sql`with p as (
      select s.pipeline_id, t.stage_id, t.owner_id, t.team_id, t.currency, t.count, t.amount,
        cast(round(t.amount * s.probability / 100.0) as integer) as weighted
      from deal_stage_totals t join stages s on s.id = t.stage_id where s.outcome is null and ${live}
      union all
      select x.pipeline_id, x.stage_id, x.owner_id, x.team_id, x.currency, x.count, x.amount, x.weighted_amount
      from report_pipeline_snapshots x where not ${live} and x.day = ${snapshotDay})
    select p.pipeline_id as "pipelineId", p.stage_id as "stageId", st.name as "stageName", st.position as position,
      p.currency as currency, sum(p.count) as count, sum(p.amount) as amount, sum(p.weighted) as "weightedAmount"
    from p left join stages st on st.id = p.stage_id
    where ${ownedRowsWhere(scope, "p", { pipeline: sql`p.pipeline_id` })}
    group by p.pipeline_id, p.stage_id, p.currency order by p.pipeline_id, st.position, p.stage_id, p.currency`);
}

/** Which snapshot a pipeline as of a past date was read from (null: live). */
export function snapshotDayQuery(db: Database, asOf: SQL | null) {
  return db.all<{ snapshotDay: string | null; live: number }>(
    asOf === null
      ? sql`select null as "snapshotDay", 1 as live`
      : sql`select case when ${asOf} >= ${LIVE_DAY} then null else
          (select max(day) from report_pipeline_snapshots where day <= ${asOf}) end as "snapshotDay",
          ${asOf} >= ${LIVE_DAY} as live`,
  );
}

export function currencyTotals(rows: readonly PipelineRow[]) {
  const totals = new Map<
    string,
    { currency: string; count: number; amount: number; weightedAmount: number }
  >();
  for (const row of rows) {
    const total = totals.get(row.currency) ?? {
      currency: row.currency,
      count: 0,
      amount: 0,
      weightedAmount: 0,
    };
    total.count += row.count;
    total.amount += row.amount;
    total.weightedAmount += row.weightedAmount;
    totals.set(row.currency, total);
  }
  return [...totals.values()].sort((a, b) => a.currency.localeCompare(b.currency));
}

/**
 * Per currency: average deal size = won amount ÷ won deals; win rate = won ÷ (won + lost); sales cycle = Σ
 * (closedAt − createdAt) of the won deals ÷ won deals, in days; sales velocity = open deals at the end of the
 * period × average deal size × win rate ÷ sales cycle (money per day). The win rate over all currencies is
 * Σ won ÷ Σ (won + lost): counts add up across currencies, amounts never do.
 */
export function salesView(totals: readonly DealTotalsRow[], openAtEnd: readonly PipelineRow[]) {
  const open = new Map(currencyTotals(openAtEnd).map((t) => [t.currency, t.count]));
  const currencies = new Set([...totals.map((t) => t.currency), ...open.keys()]);
  const byCurrency = [...currencies].sort().map((currency) => {
    const t = totals.find((row) => row.currency === currency) ?? {
      currency,
      created: 0,
      createdAmount: 0,
      won: 0,
      wonAmount: 0,
      lost: 0,
      lostAmount: 0,
      wonCycleMs: 0,
    };
    const averageDealSize = ratio(t.wonAmount, t.won);
    const winRate = ratio(t.won, t.won + t.lost);
    const cycleMs = ratio(t.wonCycleMs, t.won);
    const salesCycleDays = cycleMs === null ? null : cycleMs / DAY_MS;
    const openDeals = open.get(currency) ?? 0;
    const salesVelocityPerDay =
      averageDealSize === null || winRate === null || !salesCycleDays
        ? null
        : (openDeals * averageDealSize * winRate) / salesCycleDays;
    return {
      currency,
      created: t.created,
      createdAmount: t.createdAmount,
      won: t.won,
      wonAmount: t.wonAmount,
      lost: t.lost,
      lostAmount: t.lostAmount,
      averageDealSize,
      winRate,
      salesCycleDays,
      openDeals,
      salesVelocityPerDay,
    };
  });
  const won = totals.reduce((n, t) => n + t.won, 0);
  const lost = totals.reduce((n, t) => n + t.lost, 0);
  return { winRate: { won, lost, rate: ratio(won, won + lost) }, currencies: byCurrency };
}

// ---- forecast --------------------------------------------------------------------------------------------------

export const FORECAST_REPORT_CATEGORIES = ["pipeline", "best_case", "commit", "closed_won"] as const;
export type ForecastReportCategory = (typeof FORECAST_REPORT_CATEGORIES)[number];
const isReportCategory = (category: string): category is ForecastReportCategory =>
  (FORECAST_REPORT_CATEGORIES as readonly string[]).includes(category);

export interface ForecastRow {
  category: string;
  currency: string;
  count: number;
  amount: number;
  weightedAmount: number;
}

/**
 * Open deals expected to close in the period's months, per forecast category (the deal's override, else its
 * stage's) and currency.
 */
export function forecastOpenQuery(db: Database, scope: ReportScope) {
  const { from, to } = scope.period;
  return db.all<ForecastRow>(sql`select coalesce(nullif(f.override, ''), s.forecast_category) as category,
      f.currency as currency, sum(f.count) as count, sum(f.amount) as amount,
      sum(cast(round(f.amount * s.probability / 100.0) as integer)) as "weightedAmount"
    from report_forecast_totals f join stages s on s.id = f.stage_id
    where f.close_month >= substr(${from}, 1, 7) and f.close_month <= substr(${to}, 1, 7)
      and ${ownedRowsWhere(scope, "f", { pipeline: sql`s.pipeline_id` })}
    group by 1, 2 order by 1, 2`);
}

/**
 * Per category and currency: open deals by their category, and in closed won also the deals won in the period
 * (at their full amount). Omitted deals are left out.
 */
export function forecastView(open: readonly ForecastRow[], won: readonly DealTotalsRow[]) {
  const rows = new Map<string, ForecastRow & { category: ForecastReportCategory }>();
  const add = (row: ForecastRow) => {
    const { category } = row;
    if (!isReportCategory(category)) return;
    const key = `${category}\u0000${row.currency}`;
    const sum = rows.get(key) ?? { category, currency: row.currency, count: 0, amount: 0, weightedAmount: 0 };
    sum.count += row.count;
    sum.amount += row.amount;
    sum.weightedAmount += row.weightedAmount;
    rows.set(key, sum);
  };
  for (const row of open) add(row);
  for (const row of won) {
    if (row.won > 0) {
      add({
        category: "closed_won",
        currency: row.currency,
        count: row.won,
        amount: row.wonAmount,
        weightedAmount: row.wonAmount,
      });
    }
  }
  const order = (category: ForecastReportCategory) => FORECAST_REPORT_CATEGORIES.indexOf(category);
  return [...rows.values()].sort(
    (a, b) => order(a.category) - order(b.category) || a.currency.localeCompare(b.currency),
  );
}
