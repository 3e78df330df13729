// Deal reports: revenue, sales figures, the pipeline (now or as of a date), the forecast and stage conversion.
// Each answers from the rollups plus the live window, in one database round trip, as JSON or CSV.
import { sql } from "drizzle-orm";
import { isDate } from "../../../db/reports/period.ts";
import {
  currencyTotals,
  dealTotalsQuery,
  forecastOpenQuery,
  forecastView,
  pipelineQuery,
  revenueQuery,
  revenueView,
  salesView,
  snapshotDayQuery,
} from "../../../db/reports/sales.ts";
import { stageMovesQuery, stagesQuery, stagesView } from "../../../db/reports/stages.ts";
import { authorizedRead, defineRoute } from "../../access.ts";
import { createRouter } from "../../app.ts";
import { ApiError } from "../../errors.ts";
import { answerReport, csvResponse, readReport, reportContent, scopeOf, wantsCsv } from "./respond.ts";
import {
  ForecastQuery,
  ForecastView,
  PipelineQuery,
  PipelineView,
  ReportQuery,
  RevenueQuery,
  RevenueView,
  SalesView,
  StagesView,
} from "./schemas.ts";

export const tags = ["Reports"];
export const READ = { scope: "reports:read" } as const;
const SCOPE_NOTE =
  "Figures cover the deals the caller may see (admins all; managers their own and their teams'; reps their " +
  "own, and their teams' when the organisation allows it). Amounts are per currency, never summed across.";

const revenueRoute = defineRoute({
  method: "get",
  path: "/api/v1/reports/revenue",
  tags,
  summary: "Revenue: won deals' amounts in the period, in total and by day, week, month, quarter or year",
  description: `Revenue = Σ amount of the deals won (closed in a won stage) in the period, by close date. ${SCOPE_NOTE}`,
  access: READ,
  request: { query: RevenueQuery },
  responses: { 200: reportContent(RevenueView, "Totals and series per currency") },
});

const salesRoute = defineRoute({
  method: "get",
  path: "/api/v1/reports/sales",
  tags,
  summary: "Average deal size, win rate, sales cycle length and sales velocity",
  description:
    "Per currency, over the deals closed in the period: average deal size = won amount ÷ won deals; " +
    "**win rate = won ÷ (won + lost)** among the deals closed (won or lost) in the period; sales cycle = " +
    "average of (close date − creation date) of the won deals, in days; **sales velocity = open deals at the " +
    "end of the period × average deal size × win rate ÷ sales cycle** (money per day). The overall win rate " +
    `counts deals of every currency. ${SCOPE_NOTE}`,
  access: READ,
  request: { query: ReportQuery },
  responses: { 200: reportContent(SalesView, "The figures per currency") },
});

const pipelineRoute = defineRoute({
  method: "get",
  path: "/api/v1/reports/pipeline",
  tags,
  summary: "Pipeline value and weighted value per stage, now or as of a past date",
  description:
    "Open deals per stage and currency: count, value, and weighted value = Σ amount × the stage's probability " +
    "÷ 100. With `asOf` in the past, read from the daily snapshot of that date (the pipeline at the end of the " +
    `day), or of the last date before it that has one. ${SCOPE_NOTE}`,
  access: READ,
  request: { query: PipelineQuery },
  responses: { 200: reportContent(PipelineView, "Stages and totals per currency") },
});

const forecastRoute = defineRoute({
  method: "get",
  path: "/api/v1/reports/forecast",
  tags,
  summary: "Forecast by category (pipeline, best case, commit, closed won) for a month or a quarter",
  description:
    "Open deals whose expected close date falls in the period, by forecast category: the deal's own " +
    "`forecastOverride` when set, else its stage's category; weighted value as for the pipeline. Closed won " +
    "adds the deals won in the period, at their full amount. Omitted deals are left out. The categories do " +
    `not overlap: commit plus closed won is the usual floor, plus best case the usual upside. ${SCOPE_NOTE}`,
  access: READ,
  request: { query: ForecastQuery },
  responses: { 200: reportContent(ForecastView, "Per category and currency") },
});

const stagesRoute = defineRoute({
  method: "get",
  path: "/api/v1/reports/stages",
  tags,
  summary: "Stage-to-stage conversion and average time in stage",
  description:
    "Of the stays in each stage that began in the period: conversion = stays that went on to a later stage " +
    "of the pipeline (won included) ÷ stays; lost, still there and other moves (back, or to another " +
    "pipeline) beside it. Average time in stage = Σ (left − entered) ÷ the stays that ended, in days. " +
    `Transitions count each move from a stage to the next. ${SCOPE_NOTE}`,
  access: READ,
  request: { query: ReportQuery },
  responses: { 200: reportContent(StagesView, "Per stage, and the moves between stages") },
});

/** The pipeline is a point in time: no period narrows it. */
const NO_PERIOD = { from: sql`''`, to: sql`''` };

const SALES_COLUMNS = [
  "currency",
  "created",
  "createdAmount",
  "won",
  "wonAmount",
  "lost",
  "lostAmount",
  "averageDealSize",
  "winRate",
  "salesCycleDays",
  "openDeals",
  "salesVelocityPerDay",
] as const;

const STAGE_COLUMNS = [
  "pipelineId",
  "stageId",
  "name",
  "position",
  "entered",
  "advanced",
  "lost",
  "stillIn",
  "otherMoves",
  "conversionRate",
  "averageDaysInStage",
] as const;

export const dealReportRoutes = createRouter()
  .openapi(revenueRoute, async (c) => {
    const query = c.req.valid("query");
    const {
      meta,
      results: [rows],
    } = await readReport(c, query, (db, scope) => [revenueQuery(db, scope, query.groupBy)] as const);
    const view = { ...meta, groupBy: query.groupBy, ...revenueView(rows, query.groupBy) };
    return answerReport(c, query.format, view, {
      name: "revenue",
      columns: ["bucket", "currency", "deals", "amount"],
      rows: view.series,
    });
  })
  .openapi(salesRoute, async (c) => {
    const query = c.req.valid("query");
    const {
      meta,
      results: [totals, open],
    } = await readReport(
      c,
      query,
      (db, scope) => [dealTotalsQuery(db, scope), pipelineQuery(db, scope, scope.period.to)] as const,
    );
    const view = { ...meta, ...salesView(totals, open) };
    return answerReport(c, query.format, view, {
      name: "sales",
      columns: SALES_COLUMNS,
      rows: view.currencies,
    });
  })
  .openapi(pipelineRoute, async (c) => {
    const query = c.req.valid("query");
    if (query.asOf !== undefined && !isDate(query.asOf)) {
      throw new ApiError("validation_failed", "asOf: Not a calendar date.", {
        errors: [{ path: "asOf", message: "Not a calendar date." }],
      });
    }
    const asOf = query.asOf === undefined ? null : sql`${query.asOf}`;
    const db = c.get("db");
    const {
      results: [snapshot, rows],
    } = await authorizedRead(
      c,
      (me) => [snapshotDayQuery(db, asOf), pipelineQuery(db, scopeOf(me, NO_PERIOD, query), asOf)] as const,
    );
    const stages = rows.map(({ position: _, ...row }) => row);
    const view = {
      asOf: query.asOf ?? null,
      snapshotDay: snapshot[0]?.snapshotDay ?? null,
      stages,
      totals: currencyTotals(rows),
    };
    if (wantsCsv(c, query.format)) {
      return csvResponse(
        c,
        `pipeline-${query.asOf ?? "now"}`,
        ["pipelineId", "stageId", "stageName", "currency", "count", "amount", "weightedAmount"],
        stages.map((s) => [
          s.pipelineId,
          s.stageId,
          s.stageName,
          s.currency,
          s.count,
          s.amount,
          s.weightedAmount,
        ]),
      );
    }
    return c.json(view, 200);
  })
  .openapi(forecastRoute, async (c) => {
    const query = c.req.valid("query");
    const {
      meta,
      results: [open, won],
    } = await readReport(
      c,
      query,
      (db, scope) => [forecastOpenQuery(db, scope), dealTotalsQuery(db, scope)] as const,
    );
    const view = { ...meta, categories: forecastView(open, won) };
    return answerReport(c, query.format, view, {
      name: "forecast",
      columns: ["category", "currency", "count", "amount", "weightedAmount"],
      rows: view.categories,
    });
  })
  .openapi(stagesRoute, async (c) => {
    const query = c.req.valid("query");
    const {
      meta,
      results: [moves, stages],
    } = await readReport(
      c,
      query,
      (db, scope) => [stageMovesQuery(db, scope), stagesQuery(db, query.pipelineId)] as const,
    );
    const view = { ...meta, ...stagesView(moves, stages) };
    return answerReport(c, query.format, view, { name: "stages", columns: STAGE_COLUMNS, rows: view.stages });
  });
