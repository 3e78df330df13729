// Analytics: the rollup tables the report API reads (queues/rollups/ keeps them), so a dashboard reads a handful
// of rows whatever the number of deals. Day buckets are local dates (YYYY-MM-DD) in the organisation's time zone;
// every money figure is per currency; owner and team are '' rather than null, so that keys are unique.
import { sql } from "drizzle-orm";
import {
  type AnySQLiteColumn,
  check,
  index,
  integer,
  primaryKey,
  type SQLiteColumnBuilderBase,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

/**
 * One row: how far the rollups go. Days before `liveDay` are complete in the rollup tables; records from
 * `liveFrom` on (the start of liveDay) are computed live by each report, labelled with `offsetMs`.
 */
export const reportState = sqliteTable(
  "report_state",
  {
    id: integer().primaryKey(),
    /** The last domain event (seq) whose changes the rollups hold. */
    eventSeq: integer().notNull(),
    /** The clock of the last run: SLA clocks started or breached since then are rolled up again. */
    syncedAt: integer().notNull(),
    /** The time zone the day buckets were cut in; a change of the organisation's zone recomputes them all. */
    timeZone: text().notNull(),
    liveDay: text().notNull(),
    liveFrom: integer().notNull(),
    /** The zone's UTC offset at liveFrom, to label live records with their local date in SQL. */
    offsetMs: integer().notNull(),
    updatedAt: integer().notNull(),
  },
  (t) => [check("report_state_one_row", sql`${t.id} = 1`)],
);

/**
 * A rollup's two tables: `report_<name>_daily`, keyed by the local date, and `report_<name>_monthly` with the
 * same columns keyed by the month (YYYY-MM), each of its rows the sum of the month's daily rows with that key.
 * A report over whole past months reads a row per key and month instead of one per key and day.
 */
function rollupTables<C extends Record<string, SQLiteColumnBuilderBase>>(
  name: string,
  columns: () => C,
  key: readonly (keyof C & string)[],
) {
  const daily = sqliteTable(`report_${name}_daily`, { day: text().notNull(), ...columns() }, (t) => [
    primaryKey({ columns: [t.day, ...key.map((k) => t[k] as AnySQLiteColumn)] }),
  ]);
  const monthly = sqliteTable(`report_${name}_monthly`, { month: text().notNull(), ...columns() }, (t) => [
    primaryKey({ columns: [t.month, ...key.map((k) => t[k] as AnySQLiteColumn)] }),
  ]);
  return [daily, monthly] as const;
}

/** The open pipeline at the end of each day (the last run of the day), from deal_stage_totals. */
export const reportPipelineSnapshots = sqliteTable(
  "report_pipeline_snapshots",
  {
    day: text().notNull(),
    pipelineId: text().notNull(),
    stageId: text().notNull(),
    ownerId: text().notNull(),
    teamId: text().notNull(),
    currency: text().notNull(),
    count: integer().notNull(),
    amount: integer().notNull(),
    /** amount × the stage's probability that day ÷ 100, rounded. */
    weightedAmount: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.stageId, t.ownerId, t.teamId, t.currency] })],
);

/** Deals created (by creation day) and won or lost (by close day), with their amounts. */
export const [reportDealDaily, reportDealMonthly] = rollupTables(
  "deal",
  () => ({
    pipelineId: text().notNull(),
    ownerId: text().notNull(),
    teamId: text().notNull(),
    currency: text().notNull(),
    created: integer().notNull(),
    createdAmount: integer().notNull(),
    won: integer().notNull(),
    wonAmount: integer().notNull(),
    lost: integer().notNull(),
    lostAmount: integer().notNull(),
    /** Σ (closedAt − createdAt) of the deals won that day: the sales cycle. */
    wonCycleMs: integer().notNull(),
  }),
  ["pipelineId", "ownerId", "teamId", "currency"],
);

/**
 * Stays in a stage by the day they began, with the stage the deal went to next ('' while it is still there):
 * stage-to-stage conversion, and time in stage over the stays that ended.
 */
export const [reportStageDaily, reportStageMonthly] = rollupTables(
  "stage",
  () => ({
    pipelineId: text().notNull(),
    stageId: text().notNull(),
    nextStageId: text().notNull(),
    ownerId: text().notNull(),
    teamId: text().notNull(),
    entered: integer().notNull(),
    exited: integer().notNull(),
    exitedMs: integer().notNull(),
  }),
  ["stageId", "nextStageId", "ownerId", "teamId"],
);

export const LEAD_DIMENSIONS = ["source", "form", "campaign", "grade"] as const;
export type LeadDimension = (typeof LEAD_DIMENSIONS)[number];

/** New contacts by creation day, once per dimension, with how many of them became customers. */
export const [reportLeadDaily, reportLeadMonthly] = rollupTables(
  "lead",
  () => ({
    dimension: text({ enum: LEAD_DIMENSIONS }).notNull(),
    value: text().notNull(),
    ownerId: text().notNull(),
    teamId: text().notNull(),
    leads: integer().notNull(),
    converted: integer().notNull(),
  }),
  ["dimension", "value", "ownerId", "teamId"],
);

/**
 * Every lifecycle transition, taken from the domain events (contact.created: from '', and
 * contact.lifecycle_changed), which are pruned after a week: this table keeps the history the funnel needs.
 */
export const reportLifecycleTransitions = sqliteTable(
  "report_lifecycle_transitions",
  {
    seq: integer().primaryKey(),
    contactId: text().notNull(),
    fromStage: text().notNull(),
    toStage: text().notNull(),
    at: integer().notNull(),
    ownerId: text().notNull(),
    teamId: text().notNull(),
  },
  (t) => [
    index("report_lifecycle_transitions_at_idx").on(t.at),
    index("report_lifecycle_transitions_contact_idx").on(t.contactId, t.at),
  ],
);

export const [reportLifecycleDaily, reportLifecycleMonthly] = rollupTables(
  "lifecycle",
  () => ({
    fromStage: text().notNull(),
    toStage: text().notNull(),
    ownerId: text().notNull(),
    teamId: text().notNull(),
    count: integer().notNull(),
  }),
  ["fromStage", "toStage", "ownerId", "teamId"],
);

/** Calls, emails, meetings and notes a person logged, per day. */
export const [reportActivityDaily, reportActivityMonthly] = rollupTables(
  "activity",
  () => ({
    userId: text().notNull(),
    type: text().notNull(),
    count: integer().notNull(),
  }),
  ["userId", "type"],
);

/** Speed to lead per clock owner, by the day the clock started. */
export const [reportSlaDaily, reportSlaMonthly] = rollupTables(
  "sla",
  () => ({
    ownerId: text().notNull(),
    started: integer().notNull(),
    responded: integer().notNull(),
    withinSla: integer().notNull(),
    breached: integer().notNull(),
    responseMs: integer().notNull(),
  }),
  ["ownerId"],
);

/**
 * Customers by the day of their first won deal (per currency), with all their won deals to date: lifetime
 * value and purchase frequency of a cohort. A customer is the deal's company, else its first contact.
 */
export const [reportCustomerDaily, reportCustomerMonthly] = rollupTables(
  "customer",
  () => ({
    ownerId: text().notNull(),
    teamId: text().notNull(),
    currency: text().notNull(),
    customers: integer().notNull(),
    purchases: integer().notNull(),
    revenue: integer().notNull(),
    /** Σ (last − first won deal) of the customers. */
    lifespanMs: integer().notNull(),
  }),
  ["ownerId", "teamId", "currency"],
);

export const ATTRIBUTION_DIMENSIONS = ["source", "campaign"] as const;
export type AttributionDimension = (typeof ATTRIBUTION_DIMENSIONS)[number];

/** Won deals by close day, attributed to the source and first-touch campaign of the deal's first contact. */
export const [reportAttributionDaily, reportAttributionMonthly] = rollupTables(
  "attribution",
  () => ({
    dimension: text({ enum: ATTRIBUTION_DIMENSIONS }).notNull(),
    value: text().notNull(),
    pipelineId: text().notNull(),
    ownerId: text().notNull(),
    teamId: text().notNull(),
    currency: text().notNull(),
    won: integer().notNull(),
    wonAmount: integer().notNull(),
  }),
  ["dimension", "value", "pipelineId", "ownerId", "teamId", "currency"],
);

/**
 * Open deals by expected close month ('' without a date), stage and forecast override ('' for the stage's own
 * category), kept by triggers on deals (migration 0025) like deal_stage_totals: the forecast is always current.
 */
export const reportForecastTotals = sqliteTable(
  "report_forecast_totals",
  {
    closeMonth: text().notNull(),
    stageId: text().notNull(),
    override: text().notNull(),
    ownerId: text().notNull(),
    teamId: text().notNull(),
    currency: text().notNull(),
    count: integer().notNull(),
    amount: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.closeMonth, t.stageId, t.override, t.ownerId, t.teamId, t.currency] })],
);

/** What a campaign or a source cost in a month, per currency: entered by hand, for revenue and return. */
export const reportCosts = sqliteTable(
  "report_costs",
  {
    id: text().primaryKey(),
    dimension: text({ enum: ATTRIBUTION_DIMENSIONS }).notNull(),
    value: text().notNull(),
    /** YYYY-MM */
    month: text().notNull(),
    currency: text().notNull(),
    /** Integer minor units of `currency`. */
    amount: integer().notNull(),
    updatedBy: text(),
    createdAt: integer().notNull(),
    updatedAt: integer().notNull(),
  },
  (t) => [
    uniqueIndex("report_costs_key_idx").on(t.dimension, t.value, t.month, t.currency),
    index("report_costs_month_idx").on(t.month),
  ],
);
