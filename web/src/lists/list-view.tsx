// One list screen for contacts, companies, deals and tasks: chosen columns, filters, sort, search, saved
// views (kept in this browser), infinite scroll over the API's cursor pages, bulk actions on a selection,
// and the current view as CSV.
import type { ComponentChild } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { allPages } from "../api/client.ts";
import { t } from "../i18n/index.ts";
import { can, useSession } from "../session.ts";
import { ErrorNote, PageTitle } from "../ui/controls.tsx";
import { useStored } from "../ui/hooks.ts";
import { describe } from "../ui/problem.ts";
import { toast } from "../ui/toast.tsx";
import { type BulkActions, BulkBar } from "./bulk-bar.tsx";
import { download, toCsv } from "./csv.ts";
import { ViewControls } from "./view-controls.tsx";

export interface Column<T> {
  key: string;
  label: string;
  cell: (row: T) => ComponentChild;
  /** The cell as text, for the CSV. */
  text: (row: T) => string;
  /** The API's sort key for this column (ascending), when it can sort on it. */
  sort?: string;
}

export interface Filter {
  key: string;
  label: string;
  options?: { value: string; label: string }[];
  type?: "text" | "date";
}

export interface View {
  columns: string[];
  filters: Record<string, string>;
  sort: string;
  q: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ListSpec<T extends { id: string }> {
  name: string;
  title: string;
  columns: Column<T>[];
  defaultView: View;
  filters: Filter[];
  search: boolean;
  load: (view: View, cursor: string | undefined) => Promise<Page<T>>;
  bulk?: BulkActions<T>;
  /** Beside the title: e.g. the button that creates a record. */
  actions?: ComponentChild;
  /**
   * The list's name in the export API (GET /api/v1/exports/{name}, managers and admins): the server streams the
   * whole view as CSV, with every column the importer reads back. Others get the chosen columns, built here.
   */
  exportName?: "contacts" | "companies" | "deals" | "tasks";
  /** The view as the list route's query (filters, sort, search): the export API takes the same. */
  toQuery?: (view: View) => Record<string, string>;
  /** Changes when the list should be read again (e.g. after a record was created). */
  version?: number;
}

/** A view as the list routes' query string: search, sort and filters. */
export function toQuery(view: View): Record<string, string> {
  return { ...(view.q ? { q: view.q } : {}), ...(view.sort ? { sort: view.sort } : {}), ...view.filters };
}

export function ListView<T extends { id: string }>({ spec }: { spec: ListSpec<T> }) {
  const { me } = useSession();
  const [view, setView] = useStored<View>(`crm.view.${spec.name}`, spec.defaultView);
  const [rows, setRows] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [exporting, setExporting] = useState(false);
  const generation = useRef(0);
  const sentinel = useRef<HTMLDivElement>(null);

  const columns = useMemo(
    () =>
      view.columns
        .map((key) => spec.columns.find((column) => column.key === key))
        .filter((column): column is Column<T> => Boolean(column)),
    [view.columns, spec.columns],
  );

  const loadMore = async (reset: boolean) => {
    if (!reset && (loading || cursor === null)) return;
    const mine = reset ? ++generation.current : generation.current;
    setLoading(true);
    setError(null);
    try {
      const page = await spec.load(view, reset ? undefined : (cursor ?? undefined));
      if (mine !== generation.current) return;
      setRows((current) => (reset ? page.items : [...current, ...page.items]));
      setCursor(page.nextCursor);
    } catch (failure) {
      if (mine === generation.current) setError(failure);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  };
  useEffect(() => {
    setSelected(new Set());
    setCursor(undefined);
    void loadMore(true);
  }, [view.filters, view.sort, view.q, spec.version]);

  useEffect(() => {
    const target = sentinel.current;
    if (!target || cursor === null || cursor === undefined) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) void loadMore(false);
    });
    observer.observe(target);
    return () => observer.disconnect();
  });

  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  const allSelected = rows.length > 0 && rows.every((row) => selected.has(row.id));

  const sortBy = (column: Column<T>) => {
    if (!column.sort) return;
    const sort = view.sort === column.sort ? `-${column.sort}` : column.sort;
    setView({ ...view, sort });
  };
  const ariaSort = (column: Column<T>) =>
    !column.sort
      ? undefined
      : view.sort === column.sort
        ? "ascending"
        : view.sort === `-${column.sort}`
          ? "descending"
          : "none";

  const exportCsv = async () => {
    setExporting(true);
    try {
      const all = await allPages((next) => spec.load(view, next));
      const csv = toCsv(
        columns.map((column) => column.label),
        all.map((row) => columns.map((column) => column.text(row))),
      );
      download(`${spec.name}-${new Date().toISOString().slice(0, 10)}.csv`, csv);
      toast(t("list.exported", { n: all.length }));
    } catch (failure) {
      toast(describe(failure), "error");
    } finally {
      setExporting(false);
    }
  };

  const chosen = rows.filter((row) => selected.has(row.id));
  return (
    <section class="list">
      <PageTitle actions={spec.actions}>{spec.title}</PageTitle>
      <ViewControls spec={spec} view={view} onView={setView} />
      <div class="list-tools">
        <p role="status" class="muted">
          {loading && rows.length === 0 ? t("common.loading") : t("list.shown", { n: rows.length })}
          {cursor ? ` ${t("list.more")}` : ""}
        </p>
        {spec.exportName && spec.toQuery && can.manage(me) ? (
          <a
            class="button"
            href={`/api/v1/exports/${spec.exportName}?${new URLSearchParams(spec.toQuery(view))}`}
            download
          >
            {t("list.export")}
          </a>
        ) : (
          <button type="button" onClick={exportCsv} disabled={exporting}>
            {exporting ? t("list.exporting") : t("list.export")}
          </button>
        )}
      </div>
      {spec.bulk && chosen.length > 0 && (
        <BulkBar
          rows={chosen}
          actions={spec.bulk}
          onDone={() => {
            setSelected(new Set());
            void loadMore(true);
          }}
        />
      )}
      {error ? <ErrorNote error={error} retry={() => loadMore(rows.length === 0)} /> : null}
      <div class="table-wrap">
        <table>
          <caption class="sr-only">{spec.title}</caption>
          <thead>
            <tr>
              {spec.bulk && (
                <th scope="col" class="select">
                  <input
                    type="checkbox"
                    aria-label={t("list.selectAll")}
                    checked={allSelected}
                    onChange={() => setSelected(allSelected ? new Set() : new Set(rows.map((row) => row.id)))}
                  />
                </th>
              )}
              {columns.map((column) => (
                <th scope="col" key={column.key} aria-sort={ariaSort(column)}>
                  {column.sort ? (
                    <button type="button" class="sort" onClick={() => sortBy(column)}>
                      {column.label}
                      <span aria-hidden="true">
                        {view.sort === column.sort ? " ▲" : view.sort === `-${column.sort}` ? " ▼" : ""}
                      </span>
                    </button>
                  ) : (
                    column.label
                  )}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id} class={selected.has(row.id) ? "selected" : undefined}>
                {spec.bulk && (
                  <td class="select">
                    <input
                      type="checkbox"
                      aria-label={t("list.select", { name: columns[0]?.text(row) ?? row.id })}
                      checked={selected.has(row.id)}
                      onChange={() => toggle(row.id)}
                    />
                  </td>
                )}
                {columns.map((column, index) =>
                  index === 0 ? (
                    <th scope="row" key={column.key}>
                      {column.cell(row)}
                    </th>
                  ) : (
                    <td key={column.key}>{column.cell(row)}</td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
        {!loading && rows.length === 0 && !error && <p class="empty">{t("list.empty")}</p>}
      </div>
      <div ref={sentinel} class="sentinel">
        {cursor && (
          <button type="button" onClick={() => loadMore(false)} disabled={loading}>
            {loading ? t("common.loading") : t("list.loadMore")}
          </button>
        )}
      </div>
    </section>
  );
}
