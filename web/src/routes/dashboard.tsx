// The dashboard: KPI tiles and charts from the reports API (revenue, win rate, deal size, cycle, pipeline and
// forecast), filtered by period, pipeline and owner; and the rep's own day (tasks due, overdue).
import { useMemo } from "preact/hooks";
import { api, ok } from "../api/client.ts";
import { BarChart, type Series } from "../dashboard/chart.tsx";
import { type Filters, loadReports, periods } from "../dashboard/reports.ts";
import { useDirectory } from "../data/directory.ts";
import { money, number, percent, t, tx } from "../i18n/index.ts";
import { can, useSession } from "../session.ts";
import { ErrorNote, Loading, PageTitle } from "../ui/controls.tsx";
import { useQuery, useStored } from "../ui/hooks.ts";

const COLORS = ["#1d4ed8", "#93c5fd", "#16a34a", "#f59e0b"];

export default function Dashboard() {
  const { me } = useSession();
  const people = useDirectory();
  const choices = periods();
  const [filters, setFilters] = useStored<Filters>("crm.dashboard", { period: choices[0]?.value ?? "" });
  const reports = useQuery(() => loadReports(filters), [filters.period, filters.pipelineId, filters.ownerId]);
  const mine = useQuery(
    () =>
      Promise.all([
        ok(api.GET("/api/v1/tasks", { params: { query: { view: "today", limit: 100 } } })),
        ok(api.GET("/api/v1/tasks", { params: { query: { view: "overdue", limit: 100 } } })),
      ]),
    [],
  );
  const pipelines = people?.pipelines.filter((p) => !p.archivedAt) ?? [];
  const set = (change: Partial<Filters>) => setFilters({ ...filters, ...change });

  return (
    <section class="dashboard">
      <PageTitle>{t("nav.dashboard")}</PageTitle>
      <p class="subtitle">{t("dash.hello", { name: me.name })}</p>
      <fieldset class="board-tools">
        <legend class="sr-only">{t("dash.filters")}</legend>
        <label>
          {t("dash.period")}{" "}
          <select value={filters.period} onChange={(e) => set({ period: e.currentTarget.value })}>
            {choices.map((choice) => (
              <option key={choice.value} value={choice.value}>
                {t(choice.key)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("deal.pipeline")}{" "}
          <select
            value={filters.pipelineId ?? ""}
            onChange={(e) => set({ pipelineId: e.currentTarget.value || undefined })}
          >
            <option value="">{t("list.any")}</option>
            {pipelines.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        {can.manage(me) && (
          <label>
            {t("common.owner")}{" "}
            <select
              value={filters.ownerId ?? ""}
              onChange={(e) => set({ ownerId: e.currentTarget.value || undefined })}
            >
              <option value="">{t("list.any")}</option>
              {people?.users.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name}
                </option>
              ))}
            </select>
          </label>
        )}
      </fieldset>
      <dl class="kpis">
        <div class="kpi">
          <dt>{t("dash.tasksToday")}</dt>
          <dd>{mine.data ? number(mine.data[0].items.length) : "…"}</dd>
        </div>
        <div class="kpi">
          <dt>{t("dash.overdue")}</dt>
          <dd>{mine.data ? number(mine.data[1].items.length) : "…"}</dd>
        </div>
        {reports.data && <ReportTiles data={reports.data} />}
      </dl>
      {reports.error ? <ErrorNote error={reports.error} retry={reports.reload} /> : null}
      {!reports.data && !reports.error && <Loading />}
      {reports.data && (
        <ReportCharts
          data={reports.data}
          stageNames={new Map(pipelines.flatMap((p) => p.stages.map((s) => [s.id, s.name])))}
        />
      )}
    </section>
  );
}

type Reports = Awaited<ReturnType<typeof loadReports>>;

function ReportTiles({ data }: { data: Reports }) {
  const { revenue, sales, pipeline } = data;
  const join = (items: string[]) => (items.length ? items.join(" · ") : "–");
  return (
    <>
      <div class="kpi">
        <dt>{t("dash.revenue")}</dt>
        <dd>{join(revenue.totals.map((total) => money(total.amount, total.currency)))}</dd>
      </div>
      <div class="kpi">
        <dt>{t("dash.winRate")}</dt>
        <dd>
          {sales.winRate.rate === null ? "–" : percent(sales.winRate.rate)}{" "}
          <span class="muted">{t("dash.wonLost", { won: sales.winRate.won, lost: sales.winRate.lost })}</span>
        </dd>
      </div>
      <div class="kpi">
        <dt>{t("dash.averageDeal")}</dt>
        <dd>
          {join(
            sales.currencies
              .filter((c) => c.averageDealSize !== null)
              .map((c) => money(c.averageDealSize ?? 0, c.currency)),
          )}
        </dd>
      </div>
      <div class="kpi">
        <dt>{t("dash.cycle")}</dt>
        <dd>
          {join(
            sales.currencies
              .filter((c) => c.salesCycleDays !== null)
              .map((c) => t("dash.days", { n: number(c.salesCycleDays ?? 0, 1) })),
          )}
        </dd>
      </div>
      <div class="kpi">
        <dt>{t("dash.pipelineValue")}</dt>
        <dd>{join(pipeline.totals.map((total) => money(total.amount, total.currency)))}</dd>
      </div>
      <div class="kpi">
        <dt>{t("dash.weightedValue")}</dt>
        <dd>{join(pipeline.totals.map((total) => money(total.weightedAmount, total.currency)))}</dd>
      </div>
    </>
  );
}

function ReportCharts({ data, stageNames }: { data: Reports; stageNames: Map<string, string> }) {
  const { revenue, pipeline, forecast } = data;
  // One chart per currency: amounts in VND and USD do not share an axis.
  const currencies = useMemo(
    () => [...new Set([...revenue.series, ...pipeline.stages].map((row) => row.currency))].sort(),
    [revenue, pipeline],
  );
  return (
    <div class="charts">
      {currencies.map((currency) => {
        const format = (value: number) => money(value, currency);
        const buckets = [
          ...new Set(revenue.series.filter((row) => row.currency === currency).map((row) => row.bucket)),
        ];
        const stageRows = pipeline.stages.filter((row) => row.currency === currency);
        const stages = [...new Set(stageRows.map((row) => row.stageId))];
        const categories = forecast.categories.filter((row) => row.currency === currency);
        const stageSeries: Series[] = [
          {
            label: t("dash.amount"),
            color: COLORS[1] ?? "",
            values: stages.map((id) => stageRows.find((r) => r.stageId === id)?.amount ?? 0),
          },
          {
            label: t("dash.weighted"),
            color: COLORS[0] ?? "",
            values: stages.map((id) => stageRows.find((r) => r.stageId === id)?.weightedAmount ?? 0),
          },
        ];
        return (
          <div key={currency} class="stack">
            {buckets.length > 0 && (
              <BarChart
                title={t("dash.revenueBy", { currency })}
                labels={buckets}
                series={[
                  {
                    label: t("dash.revenue"),
                    color: COLORS[2] ?? "",
                    values: buckets.map(
                      (bucket) =>
                        revenue.series.find((r) => r.currency === currency && r.bucket === bucket)?.amount ??
                        0,
                    ),
                  },
                ]}
                format={format}
              />
            )}
            {stages.length > 0 && (
              <BarChart
                title={t("dash.pipelineBy", { currency })}
                labels={stages.map(
                  (id) => stageRows.find((r) => r.stageId === id)?.stageName ?? stageNames.get(id) ?? id,
                )}
                series={stageSeries}
                format={format}
              />
            )}
            {categories.length > 0 && (
              <BarChart
                title={t("dash.forecastBy", { currency })}
                labels={categories.map((row) => tx("forecast", row.category))}
                series={[
                  {
                    label: t("dash.amount"),
                    color: COLORS[3] ?? "",
                    values: categories.map((row) => row.amount),
                  },
                ]}
                format={format}
              />
            )}
          </div>
        );
      })}
      {currencies.length === 0 && <p class="empty">{t("dash.noFigures")}</p>}
    </div>
  );
}
