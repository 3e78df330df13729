// Keyset-paged lists of owned records (contacts, companies): sort on an indexed column with the id as the
// tie-breaker, the cursor carrying both, filters that indexes serve, and `q` through the FTS index.
import { gte, isNull, lte, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { type CallerRef, canSeeRecord } from "../caller.ts";
import { ftsQuery } from "../search-text.ts";

export type SortKey = "id" | "name" | "createdAt" | "updatedAt";
export interface Sort {
  key: SortKey;
  desc: boolean;
}

export function parseSort(value: string | undefined): Sort | null {
  const raw = value ?? "id";
  const desc = raw.startsWith("-");
  const key = desc ? raw.slice(1) : raw;
  return ["id", "name", "createdAt", "updatedAt"].includes(key) ? { key: key as SortKey, desc } : null;
}

/** The keyset condition after the cursor: `(col, id) > (v, id)` (or `<` descending), which indexes serve. */
export function afterCursor(
  column: SQLiteColumn,
  id: SQLiteColumn,
  sort: Sort,
  cursor: [string | number, string],
): SQL {
  const [value, lastId] = cursor;
  if (sort.key === "id") return sort.desc ? sql`${id} < ${lastId}` : sql`${id} > ${lastId}`;
  return sort.desc
    ? sql`(${column}, ${id}) < (${value}, ${lastId})`
    : sql`(${column}, ${id}) > (${value}, ${lastId})`;
}

export function orderBy(column: SQLiteColumn, id: SQLiteColumn, sort: Sort): SQL {
  const dir = sql.raw(sort.desc ? "desc" : "asc");
  return sort.key === "id" ? sql`${id} ${dir}` : sql`${column} ${dir}, ${id} ${dir}`;
}

/**
 * `id in (…)` the FTS index answers for `q`, or null when `q` has no words. `table` is contacts, companies or
 * deals: the shadow table maps FTS rowids to record ids (migration 0005).
 */
export function matchesSearch(
  id: SQLiteColumn,
  table: "contacts" | "companies" | "deals",
  q: string,
): SQL | null {
  const match = ftsQuery(q);
  if (match === null) return null;
  const fts = sql.raw(`${table}_fts`);
  const shadow = sql.raw(`${table}_search`);
  return sql`${id} in (select s.id from ${fts} join ${shadow} s on s.rowid = ${fts}.rowid where ${fts} match ${match})`;
}

/** `custom.<key>=value` filters: the stored JSON value equals the text (or number, or boolean) given. */
export function customEquals(custom: SQLiteColumn, filters: Record<string, string>): SQL[] {
  return Object.entries(filters).map(([key, value]) => {
    const path = `$.${JSON.stringify(key)}`;
    const candidates = [
      value,
      ...(Number.isFinite(Number(value)) && value.trim() !== "" ? [Number(value)] : []),
    ];
    if (value === "true" || value === "false") candidates.push(value === "true" ? 1 : 0);
    return sql`(json_extract(${custom}, ${path}) in (${sql.join(
      candidates.map((c) => sql`${c}`),
      sql`, `,
    )}) or exists (select 1 from json_each(${custom}, ${path}) where value = ${value}))`;
  });
}

/** The columns every owned, listable record has (contacts, companies). */
export interface OwnedListColumns {
  id: SQLiteColumn;
  ownerId: SQLiteColumn;
  teamId: SQLiteColumn;
  createdAt: SQLiteColumn;
  updatedAt: SQLiteColumn;
  deletedAt: SQLiteColumn;
  custom: SQLiteColumn;
}

/** The filters and paging every owned-record list takes. */
export interface OwnedListFilter {
  ownerId?: string | undefined;
  teamId?: string | undefined;
  createdFrom?: number | undefined;
  createdTo?: number | undefined;
  updatedFrom?: number | undefined;
  updatedTo?: number | undefined;
  custom?: Record<string, string>;
  q?: string | undefined;
  sort: Sort;
  cursor?: [string | number, string] | undefined;
  limit: number;
}

/**
 * The conditions every owned-record list applies: live rows the caller may see, owner, team and date ranges,
 * custom values, search, and the position after the cursor. Each list adds its own filters to these.
 */
export function ownedListConditions(
  t: OwnedListColumns,
  searchTable: "contacts" | "companies",
  sortColumn: SQLiteColumn,
  me: CallerRef,
  f: OwnedListFilter,
): (SQL | undefined)[] {
  return [
    isNull(t.deletedAt),
    canSeeRecord(me, t.ownerId, t.teamId),
    f.ownerId ? sql`${t.ownerId} = ${f.ownerId}` : undefined,
    f.teamId ? sql`${t.teamId} = ${f.teamId}` : undefined,
    f.createdFrom !== undefined ? gte(t.createdAt, f.createdFrom) : undefined,
    f.createdTo !== undefined ? lte(t.createdAt, f.createdTo) : undefined,
    f.updatedFrom !== undefined ? gte(t.updatedAt, f.updatedFrom) : undefined,
    f.updatedTo !== undefined ? lte(t.updatedAt, f.updatedTo) : undefined,
    ...customEquals(t.custom, f.custom ?? {}),
    (f.q ? matchesSearch(t.id, searchTable, f.q) : null) ?? undefined,
    f.cursor ? afterCursor(sortColumn, t.id, f.sort, f.cursor) : undefined,
  ];
}
