// The reports API (functions/api/reports): each answer read from the rollups in one round trip.
import { api, ok } from "../api/client.ts";

export interface Filters {
  period: string;
  pipelineId?: string;
  ownerId?: string;
}

/** A report answers JSON or, when asked, CSV; the dashboard always asks for JSON. */
function json<T>(answer: T): Exclude<T, string> {
  if (typeof answer === "string") throw new Error("The report answered CSV where JSON was asked for.");
  return answer as Exclude<T, string>;
}

export async function loadReports(filters: Filters) {
  const { period, pipelineId, ownerId } = filters;
  const scope = { ...(pipelineId ? { pipelineId } : {}), ...(ownerId ? { ownerId } : {}) };
  // Weeks within a month, months within a quarter or a year.
  const groupBy = /^\d{4}(-Q[1-4])?$/.test(period) ? "month" : "week";
  // The forecast is for a month or a quarter; for a year, the current quarter.
  const forecastPeriod = /^\d{4}-(Q[1-4]|\d{2})$/.test(period) ? period : undefined;
  const [revenue, sales, pipeline, forecast] = await Promise.all([
    ok(api.GET("/api/v1/reports/revenue", { params: { query: { period, groupBy, ...scope } } })),
    ok(api.GET("/api/v1/reports/sales", { params: { query: { period, ...scope } } })),
    ok(api.GET("/api/v1/reports/pipeline", { params: { query: scope } })),
    ok(
      api.GET("/api/v1/reports/forecast", {
        params: { query: { ...(forecastPeriod ? { period: forecastPeriod } : {}), ...scope } },
      }),
    ),
  ]);
  return { revenue: json(revenue), sales: json(sales), pipeline: json(pipeline), forecast: json(forecast) };
}

/** The periods the dashboard offers, as the reports API names them. */
export function periods(now = new Date()): {
  value: string;
  key: "dash.thisMonth" | "dash.lastMonth" | "dash.thisQuarter" | "dash.thisYear";
}[] {
  const year = now.getFullYear();
  const month = now.getMonth();
  const pad = (n: number) => String(n).padStart(2, "0");
  const last = new Date(year, month - 1, 1);
  return [
    { value: `${year}-${pad(month + 1)}`, key: "dash.thisMonth" },
    { value: `${last.getFullYear()}-${pad(last.getMonth() + 1)}`, key: "dash.lastMonth" },
    { value: `${year}-Q${Math.floor(month / 3) + 1}`, key: "dash.thisQuarter" },
    { value: `${year}`, key: "dash.thisYear" },
  ];
}
