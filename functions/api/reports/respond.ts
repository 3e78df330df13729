// What every report route shares: the period out of the query, the caller's scope, the meta fields, and the
// answer as JSON or as a CSV file (RFC 4180 through papaparse, formula-looking text neutralised for
// spreadsheets).
import { z } from "@hono/zod-openapi";
import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import type { Context } from "hono";
import Papa from "papaparse";
import type { CallerRef } from "../../../db/caller.ts";
import type { Database } from "../../../db/client.ts";
import { currentMonth, isDate, literalPeriod, type Period, periodDates } from "../../../db/reports/period.ts";
import { metaQuery, type ReportMeta, type ReportScope } from "../../../db/reports/scope.ts";
import { authorizedRead } from "../../access.ts";
import type { AppEnv } from "../../env.ts";
import { ApiError } from "../../errors.ts";
import type { ReportQueryInput } from "./schemas.ts";

/** The period the query names; the organisation's current month when it names none. */
export function periodOf(query: Pick<ReportQueryInput, "period" | "from" | "to">): Period {
  const fail = (path: string, message: string): never => {
    throw new ApiError("validation_failed", `${path}: ${message}`, { errors: [{ path, message }] });
  };
  if (query.period !== undefined) {
    if (query.from !== undefined || query.to !== undefined)
      fail("period", "Give a period, or from and to, not both.");
    const dates = periodDates(query.period);
    if (!dates) fail("period", "A year (2026), quarter (2026-Q2), month (2026-05) or date (2026-05-14).");
    return literalPeriod(dates?.from ?? "", dates?.to ?? "");
  }
  if (query.from === undefined && query.to === undefined) return currentMonth();
  if (query.from === undefined || query.to === undefined)
    fail(query.from ? "to" : "from", "Give both from and to.");
  const from = query.from ?? "";
  const to = query.to ?? "";
  if (!isDate(from)) fail("from", "Not a calendar date.");
  if (!isDate(to)) fail("to", "Not a calendar date.");
  if (from > to) fail("to", "The period ends before it starts.");
  return literalPeriod(from, to);
}

export function scopeOf(
  me: CallerRef,
  period: Period,
  query: Pick<ReportQueryInput, "pipelineId" | "ownerId" | "teamId">,
): ReportScope {
  return { me, period, pipelineId: query.pipelineId, ownerId: query.ownerId, teamId: query.teamId };
}

/**
 * A report's one round trip: the period the query names, then the caller's figures the queries read for it in
 * the caller's scope, in the same batch as the period's meta (its dates, where the rollups end).
 */
export async function readReport<T extends readonly BatchItem<"sqlite">[]>(
  c: Context<AppEnv>,
  query: Pick<ReportQueryInput, "period" | "from" | "to" | "pipelineId" | "ownerId" | "teamId">,
  build: (db: Database, scope: ReportScope) => T,
): Promise<{ meta: ReturnType<typeof metaView>; results: BatchResponse<T> }> {
  const period = periodOf(query);
  const db = c.get("db");
  const {
    results: [meta, ...results],
  } = await authorizedRead(
    c,
    (me) => [metaQuery(db, period), ...build(db, scopeOf(me, period, query))] as const,
  );
  return { meta: metaView(meta[0]), results: results as unknown as BatchResponse<T> };
}

export function metaView(meta: ReportMeta | undefined) {
  return {
    period: { from: meta?.from ?? "", to: meta?.to ?? "" },
    rolledUpBefore: meta?.liveDay ? meta.liveDay : null,
  };
}

/** The 200 answer of a report route, in both forms. */
export function reportContent<T extends z.ZodType>(schema: T, description: string) {
  return {
    description,
    content: {
      "application/json": { schema },
      "text/csv": {
        schema: z
          .string()
          .openapi({ description: "RFC 4180 CSV with a header row: the report's main table" }),
      },
    },
  };
}

export function wantsCsv(c: Context<AppEnv>, format: "json" | "csv" | undefined): boolean {
  if (format !== undefined) return format === "csv";
  return (c.req.header("Accept") ?? "").toLowerCase().includes("text/csv");
}

export type CsvValue = string | number | boolean | null | undefined;

/**
 * A report's answer: the view as JSON, or its main table as CSV (asked by `format`, else by the Accept header),
 * one column per field named, in a file named after the report and its period.
 */
export function answerReport<V extends { period: { from: string; to: string } }, R>(
  c: Context<AppEnv>,
  format: "json" | "csv" | undefined,
  view: V,
  table: { name: string; columns: readonly (keyof R & string)[]; rows: readonly R[] },
): Response {
  if (!wantsCsv(c, format)) return c.json(view, 200);
  return csvResponse(
    c,
    `${table.name}-${view.period.from}-${view.period.to}`,
    table.columns,
    table.rows.map((row) => table.columns.map((column) => row[column] as CsvValue)),
  );
}

/** A CSV file: a header row, then one line per row, CRLF line ends; cells that look like formulas are prefixed. */
export function csvResponse(
  c: Context<AppEnv>,
  name: string,
  columns: readonly string[],
  rows: readonly (readonly CsvValue[])[],
): Response {
  const text = Papa.unparse(
    { fields: [...columns], data: rows.map((row) => [...row]) },
    { escapeFormulae: true, newline: "\r\n" },
  );
  // Every line ends with CRLF, the last one too (papaparse ends the header line only when no row follows).
  return c.body(text.endsWith("\r\n") ? text : `${text}\r\n`, 200, {
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Disposition": `attachment; filename="${name.replace(/[^\w.-]/g, "_")}.csv"`,
  });
}
